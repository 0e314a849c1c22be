package io.iysfilter.server.cli;

import io.iysfilter.server.push.PushCredentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter push credentials --file F [--user U]}: new Basic credentials for İYS's push (docs/PUSH.md). The
 * password is generated, its salted hash added to the push credentials file (a line of the same user replaced), and
 * the password printed once, to be given to İYS in the registration; the file never holds it.
 */
@Command(name = "push", sortOptions = false, description = {
    "manage the İYS push receiver's credentials",
    "",
    "`push credentials --file FILE [--user USER]` generates a password (24 random bytes, base64url), writes its " +
        "salted PBKDF2 hash to FILE (mode 0600; a running server re-reads it), and prints the user and password " +
        "once, for İYS's push registration. Register the new pair in İYS's second connection slot, then remove the " +
        "old one (docs/PUSH.md). Exit status: 0, 1 when the file cannot be written, 2 for a usage error."})
final class PushCommand implements Callable<Integer>
{
    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "credentials", description = "the action: credentials")
    private String action;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "the push credentials file " +
        "(push-credentials-file)")
    private Path file;

    @Option(names = "--user", paramLabel = "USER", description = "the username (default: iys-push)")
    private String user = "iys-push";

    PushCommand(final PrintStream out)
    {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException
    {
        if (!"credentials".equals(action))
        {
            throw new UsageException("push: unknown action '" + action + "' (expected: credentials)");
        }
        if (!user.matches("[A-Za-z0-9_.-]{1,64}"))
        {
            throw new UsageException("--user: '" + user + "' (expected: 1..64 letters, digits, _ . -)");
        }
        final String password = PushCredentials.newPassword();
        PushCredentials.put(file, user, password);
        out.println("push credentials written to " + file + " (its hash only); give these to İYS's push " +
            "registration, they are not shown again:");
        out.println("username: " + user);
        out.println("password: " + password);
        return Main.EXIT_OK;
    }
}
