package io.iysfilter.server.cli;

import io.iysfilter.server.security.BearerTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter token new [ID]}: a new bearer token, printed once, with the {@code token = sha256:…} line that
 * gives it to a client in the clients file. The server never sees or keeps the token itself, only that digest.
 */
@Command(name = "token", sortOptions = false, description = {
    "make a bearer token for the clients file",
    "",
    "`token new [ID]` prints a new token (32 random bytes from the system's SecureRandom, base64url) once, then the " +
        "line to paste into the clients file under [ID]. Hand the token to the client over a channel you trust; it " +
        "cannot be printed again (the clients file keeps only its SHA-256). Exit status: 0, or 2 for a usage error."})
final class TokenCommand implements Callable<Integer>
{
    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "new", description = "the action: new")
    private String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "the client's id, for the section " +
        "header printed (default: CLIENT-ID)")
    private String id = "CLIENT-ID";

    TokenCommand(final PrintStream out)
    {
        this.out = out;
    }

    @Override
    public Integer call()
    {
        if (!"new".equals(action))
        {
            throw new UsageException("token: unknown action '" + action + "' (expected: new)");
        }
        final String token = BearerTokens.generate(new SecureRandom());
        out.println("token (give it to the client; it is not shown again):");
        out.println(token);
        out.println();
        out.println("for the clients file (docs/SECURITY.md):");
        out.println("[" + id + "]");
        out.println("roles = check");
        out.println("brands = BRAND-CODES");
        out.println("token = " + BearerTokens.hash(token));
        return Main.EXIT_OK;
    }
}
