package io.iysfilter.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter receipts}: the decision receipts journal offline (docs/RECEIPTS.md): {@code find}
 * ({@link ReceiptsFindCommand}) and {@code verify} ({@link ReceiptsVerifyCommand}), a subcommand each.
 */
@Command(name = "receipts", description = {
    "read and verify the decision receipts journal (docs/RECEIPTS.md)",
    "",
    "'iys-filter receipts <command> --help' describes a command."})
final class ReceiptsCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    /**
     * @param out standard output.
     * @param err standard error.
     * @return the {@code receipts} command with its subcommands.
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err)
    {
        return new CommandLine(new ReceiptsCommand())
            .addSubcommand("find", new ReceiptsFindCommand(out, err))
            .addSubcommand("verify", new ReceiptsVerifyCommand(out, err));
    }

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.EXIT_ERROR;
    }
}
