package io.iysfilter.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter receipts}: the decision receipts' commands (docs/RECEIPTS.md), each a subcommand of its own:
 * {@code find} ({@link ReceiptsFindCommand}); {@code verify} joins them with the journal's format.
 */
@Command(name = "receipts", customSynopsis = "iys-filter receipts <command> [options]", description = {
    "the decision receipts: find a recipient's receipts, verify the journal's chain",
    "",
    "Read the journal of decisions the server keeps under its receipts directory (docs/RECEIPTS.md). Safe while " +
        "the server runs: nothing here writes to the journal."})
final class ReceiptsCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    /**
     * @param out standard output.
     * @param err standard error.
     * @return the command with its subcommands.
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err)
    {
        return new CommandLine(new ReceiptsCommand())
            .addSubcommand("find", new ReceiptsFindCommand(out, err));
    }

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.EXIT_ERROR;
    }
}
