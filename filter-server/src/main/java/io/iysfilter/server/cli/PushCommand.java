package io.iysfilter.server.cli;

import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.IysApiException;
import io.iysfilter.server.iys.PushRegistrations;
import io.iysfilter.server.push.PushCredentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter push credentials|register|list|unregister}: the İYS push receiver's credentials and its
 * connections in İYS (docs/PUSH.md). Passwords are generated here, their salted hashes written to the push
 * credentials file, and the plain password given to İYS in the registration call only.
 */
@Command(name = "push", sortOptions = false, description = {
    "manage the İYS push receiver's credentials and its connections in İYS",
    "",
    "`push register --config FILE --brand B --type MESAJ|ARAMA|EPOSTA --url URL [--user USER]` generates a " +
        "password, adds its salted hash to the push credentials file (push-credentials-file of FILE, or --file), " +
        "and registers the connection with İYS using the feed's login (iys-* settings of FILE); İYS posts a test " +
        "record to URL before it answers, so the receiver must be up. The password is given to İYS only. When İYS " +
        "refuses, the line is taken out again; when its answer is lost, the connection is unregistered at once " +
        "(run the registration again), and if that is lost too the line is kept and the password written to " +
        "FILE.USER.password (owner-only) for push unregister.",
    "`push register ... --rotate OLDUSER [--old-url URL]` rotates without a gap: the new credentials are added " +
        "(the receiver accepts both), registered in İYS's second slot, then the old connection is unregistered and " +
        "its line removed. İYS names a connection by its password too: give the old one in --password-file or " +
        "IYS_PUSH_PASSWORD; it is checked against the file before anything changes.",
    "`push unregister --config FILE --brand B --type T --url URL --user USER` removes a connection (password " +
        "as for --rotate) and then its line; a USER not in the file (a connection made by hand) is unregistered with " +
        "the password given, the file left alone. `push list --config FILE --brand B` prints İYS's connections.",
    "`push credentials --file FILE [--user USER]` only writes a new hash and prints the password once, for a " +
        "registration made by hand.",
    "Exit status: 0, 1 when İYS refuses or a file cannot be written, 2 for a usage error."})
final class PushCommand implements Callable<Integer>
{
    /** The environment variable holding the plain password of a connection to remove. */
    static final String PASSWORD_VARIABLE = "IYS_PUSH_PASSWORD";
    private static final String USER_PATTERN = "[A-Za-z0-9_.-]{1,64}";
    private static final List<String> TYPES = List.of("MESAJ", "ARAMA", "EPOSTA");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
    /**
     * How long after İYS said it holds no connection a lost registration is asked about again: İYS answers a
     * registration only after its test record (up to 5 s), so one still being made shows up by then.
     */
    static final long REGISTRATION_SETTLE_MS = 10_000;

    private final PrintStream out;
    private final Map<String, String> environment;

    @Parameters(index = "0", paramLabel = "ACTION", description = "credentials, register, list or unregister")
    private String action;

    @Option(names = "--config", paramLabel = "FILE", description = "the server's settings file: the İYS login " +
        "(iys-base-url, iys-code, iys-username, the password as for serve) and push-credentials-file")
    private String config;

    @Option(names = "--file", paramLabel = "FILE", description = "the push credentials file (default: " +
        "push-credentials-file of --config)")
    private Path file;

    @Option(names = "--brand", paramLabel = "CODE", converter = Converters.Code.class, description = "the brand")
    private Long brand;

    @Option(names = "--type", paramLabel = "TYPE", description = "MESAJ, ARAMA or EPOSTA")
    private String type;

    @Option(names = "--url", paramLabel = "URL", description = "the receiver's push URL as İYS reaches it")
    private String url;

    @Option(names = "--user", paramLabel = "USER", description = "the username (default: iys-push; with " +
        "--rotate, iys-push-<UTC time>)")
    private String user;

    @Option(names = "--rotate", paramLabel = "OLDUSER", description = "register: replace the connection of " +
        "OLDUSER once the new one is registered")
    private String rotate;

    @Option(names = "--old-url", paramLabel = "URL", description = "with --rotate: the old connection's URL " +
        "(default: --url)")
    private String oldUrl;

    @Option(names = "--password-file", paramLabel = "FILE", description = "the plain password of the connection " +
        "to remove (unregister, --rotate); default: $" + PASSWORD_VARIABLE)
    private Path passwordFile;

    PushCommand(final PrintStream out, final Map<String, String> environment)
    {
        this.out = out;
        this.environment = environment;
    }

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        switch (action)
        {
            case "credentials" ->
            {
                return credentials();
            }
            case "register", "unregister", "list" ->
            {
                return withIys();
            }
            default -> throw new UsageException("push: unknown action '" + action + "' (expected: credentials, " +
                "register, list, unregister)");
        }
    }

    private int credentials() throws IOException
    {
        if (file == null)
        {
            throw new UsageException("push credentials: --file is required");
        }
        final String username = user == null ? "iys-push" : checkedUser(user, "--user");
        final String password = PushCredentials.newPassword();
        PushCredentials.put(file, username, password);
        out.println("push credentials written to " + file + " (its hash only); give these to İYS's push " +
            "registration, they are not shown again:");
        out.println("username: " + username);
        out.println("password: " + password);
        return Main.EXIT_OK;
    }

    private int withIys() throws IOException, InterruptedException
    {
        if (brand == null)
        {
            throw new UsageException("push " + action + ": --brand is required");
        }
        if (config == null)
        {
            throw new UsageException("push " + action + ": --config is required (the settings file with the " +
                "İYS login)");
        }
        if (!"list".equals(action))
        {
            checkConnection();
        }
        if (rotate != null && !"register".equals(action))
        {
            throw new UsageException("--rotate: only with register");
        }
        final Properties settings = ServeSettings.read(config, Map.of(), environment).values();
        final PushRegistrations iys = new PushRegistrations(provider(settings));
        if ("list".equals(action))
        {
            final List<PushRegistrations.Connection> connections = iys.list(brand);
            out.println(connections.size() + " push connection(s) of brand " + brand + " in İYS:");
            for (final PushRegistrations.Connection connection : connections)
            {
                out.println("  " + connection.type() + " " + connection.url() + " " + connection.status() + " " +
                    "since " + connection.registerTime());
            }
            return Main.EXIT_OK;
        }
        final Path credentials = credentialsFile(settings);
        return "register".equals(action) ? register(iys, credentials) : unregister(iys, credentials);
    }

    private int register(final PushRegistrations iys, final Path credentials) throws IOException,
        InterruptedException
    {
        final String oldPassword;
        if (rotate != null)
        {
            checkedUser(rotate, "--rotate");
            oldPassword = oldPassword(credentials, rotate);
        }
        else
        {
            oldPassword = null;
        }
        final String username = user != null ? checkedUser(user, "--user") : rotate == null ? "iys-push" :
            "iys-push-" + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC));
        if (Files.exists(credentials) && PushCredentials.load(credentials).usernames().contains(username))
        {
            throw new UsageException("--user: " + username + " is in " + credentials + " already, its connection " +
                "may be live (expected: another user, or --rotate " + username + ")");
        }
        final String password = PushCredentials.newPassword();
        PushCredentials.put(credentials, username, password);
        try
        {
            iys.register(brand, type, url, username, password);
        }
        catch (final IysApiException ex)
        {
            if (ex.status() >= 500)
            {
                // a gateway's 502/503/504 or İYS failing part way: the registration may have been made
                return answerLost(iys, credentials, username, password, ex);
            }
            PushCredentials.remove(credentials, username);
            out.println("İYS refused the registration (" + username + "'s line taken out of " + credentials + "): " +
                ex.getMessage());
            return Main.EXIT_DENY;
        }
        catch (final IOException ex)
        {
            return answerLost(iys, credentials, username, password, ex);
        }
        out.println("registered " + type + " " + url + " for brand " + brand + " in İYS as " + username + " (its " +
            "hash in " + credentials + "; the password went to İYS only)");
        if (rotate == null)
        {
            return Main.EXIT_OK;
        }
        final String from = oldUrl != null ? oldUrl : url;
        try
        {
            iys.unregister(brand, type, from, rotate, oldPassword);
        }
        catch (final IOException ex)
        {
            out.println("the old connection (" + rotate + " at " + from + ") is still registered, both are " +
                "accepted; remove it with push unregister: " + ex.getMessage());
            return Main.EXIT_DENY;
        }
        PushCredentials.remove(credentials, rotate);
        out.println("unregistered the old connection (" + rotate + " at " + from + ") and removed its line");
        return Main.EXIT_OK;
    }

    private int unregister(final PushRegistrations iys, final Path credentials) throws IOException,
        InterruptedException
    {
        if (user == null)
        {
            throw new UsageException("push unregister: --user is required (the connection's username)");
        }
        checkedUser(user, "--user");
        final boolean inFile = Files.exists(credentials) && PushCredentials.load(credentials).usernames()
            .contains(user);
        final String password = inFile ? oldPassword(credentials, user) : givenPassword(user);
        try
        {
            iys.unregister(brand, type, url, user, password);
        }
        catch (final IOException ex)
        {
            out.println("İYS refused the unregistration (" + user + (inFile ? "'s line kept" : " is not in " +
                credentials) + "): " + ex.getMessage());
            return Main.EXIT_DENY;
        }
        if (!inFile)
        {
            // a connection registered by hand, or whose line was lost: İYS checked the password, the file is not ours
            out.println("unregistered " + type + " " + url + " of brand " + brand + " (" + user + "; not in " +
                credentials + ", which is unchanged)");
            return Main.EXIT_OK;
        }
        PushCredentials.remove(credentials, user);
        removeKeptPassword(credentials, user);
        out.println("unregistered " + type + " " + url + " of brand " + brand + " (" + user + ") and removed its " +
            "line from " + credentials);
        return Main.EXIT_OK;
    }

    private void checkConnection()
    {
        if (type == null || !TYPES.contains(type))
        {
            throw new UsageException("--type: " + (type == null ? "missing" : "'" + type + "'") + " (expected: " +
                "MESAJ, ARAMA or EPOSTA)");
        }
        if (url == null)
        {
            throw new UsageException("--url: missing (expected: the receiver's push URL, https://...)");
        }
        final URI uri;
        try
        {
            uri = URI.create(url);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException("--url: '" + url + "' is no URL");
        }
        if (uri.getHost() == null || !"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()))
        {
            throw new UsageException("--url: '" + url + "' (expected: https://HOST[:PORT]/PATH)");
        }
    }

    /**
     * @return the plain password of the connection to remove, from --password-file or the environment, checked
     * against its hash in the file so that a wrong one fails before anything changes.
     */
    private String oldPassword(final Path credentials, final String username) throws IOException
    {
        final String password = givenPassword(username);
        if (!Files.exists(credentials) || !PushCredentials.load(credentials).check(username, password))
        {
            throw new UsageException("the password given is not " + username + "'s in " + credentials);
        }
        return password;
    }

    /**
     * @return the plain password of a connection, from --password-file or the environment.
     */
    private String givenPassword(final String username) throws IOException
    {
        if (passwordFile != null)
        {
            return Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        }
        if (environment.get(PASSWORD_VARIABLE) != null)
        {
            return environment.get(PASSWORD_VARIABLE);
        }
        throw new UsageException("the password of " + username + "'s connection: missing (expected: " +
            "--password-file FILE or " + PASSWORD_VARIABLE + " in the environment; İYS names a connection by it)");
    }

    /**
     * İYS's answer to a registration was lost: it may or may not have made the connection, and only this process
     * knows its password (İYS names a connection by it). Undo it at once with the password in hand: when İYS
     * removes it, or says there is none (H533), the line is taken out and the registration can simply be run
     * again. When that fails too, the connection may be live with no one able to name it: the line is kept (the
     * receiver keeps accepting it) and the password written beside the credentials file, owner-only, for
     * {@code push unregister --password-file}.
     */
    private int answerLost(final PushRegistrations iys, final Path credentials, final String username,
        final String password, final IOException lost) throws IOException, InterruptedException
    {
        out.println("İYS's answer to the registration was lost (" + lost.getMessage() + "): unregistering what it " +
            "may have made");
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                iys.unregister(brand, type, url, username, password);
                PushCredentials.remove(credentials, username);
                out.println("the connection İYS had made was unregistered and " + username + "'s line taken out of " +
                    credentials + ": run the registration again");
                return Main.EXIT_DENY;
            }
            catch (final IysApiException ex)
            {
                if (!ex.errors().stream().anyMatch((error) -> "H533".equals(error.code())))
                {
                    return passwordKept(credentials, username, password, lost, ex);
                }
                if (attempt == 2)
                {
                    PushCredentials.remove(credentials, username);
                    out.println("İYS holds no such connection (H533, also " + REGISTRATION_SETTLE_MS / 1000 + " s " +
                        "later): " + username + "'s line taken out of " + credentials + ": run the registration again");
                    return Main.EXIT_DENY;
                }
                // İYS may still be posting its test record (it waits up to 5 s for it): ask again once it must be done
                out.println("İYS holds no such connection yet (H533); asking again in " +
                    REGISTRATION_SETTLE_MS / 1000 + " s, in case it is still being made");
                Thread.sleep(REGISTRATION_SETTLE_MS);
            }
            catch (final IOException ex)
            {
                return passwordKept(credentials, username, password, lost, ex);
            }
        }
    }

    private int passwordKept(final Path credentials, final String username, final String password,
        final IOException lost, final IOException undo) throws IOException
    {
        final Path kept = keptPassword(credentials, username);
        try
        {
            PushCredentials.keepPassword(kept, password);
        }
        catch (final IOException | RuntimeException ex)
        {
            // the last place the password can go: İYS names the connection by it
            out.println("İYS's answer to the registration was lost and so was the undoing (" + undo.getMessage() +
                "): the connection may be live, and its password could not be written to " + kept + " (" + ex +
                "). Keep it now, it is shown once: " + password + " ; then see `iys-filter push list --config " +
                config + " --brand " + brand + "` and remove it with push unregister --user " + username);
            return Main.EXIT_DENY;
        }
        out.println("İYS's answer to the registration was lost (" + lost.getMessage() + ") and so was the undoing " +
            "(" + undo.getMessage() + "): the connection may be live. " + username + "'s line is kept in " +
            credentials + " (the receiver accepts it) and its password written to " + kept + " (owner-only). " +
            "See `iys-filter push list --config " + config + " --brand " + brand + "`; to remove it: `iys-filter " +
            "push unregister --config " + config + " --brand " + brand + " --type " + type + " --url " + url +
            " --user " + username + " --password-file " + kept + "`");
        return Main.EXIT_DENY;
    }

    private static Path keptPassword(final Path credentials, final String username)
    {
        return credentials.resolveSibling(credentials.getFileName() + "." + username + ".password");
    }

    private static void removeKeptPassword(final Path credentials, final String username) throws IOException
    {
        Files.deleteIfExists(keptPassword(credentials, username));
    }

    private Path credentialsFile(final Properties settings)
    {
        if (file != null)
        {
            return file;
        }
        final String configured = Setting.PUSH_CREDENTIALS_FILE.value(settings).trim();
        if (configured.isEmpty())
        {
            throw new UsageException("push-credentials-file: not in " + config + " (expected: it, or --file)");
        }
        return Path.of(configured);
    }

    /**
     * @return the service provider that follows the brand: the one listing it, else the only one following all
     * its brands.
     */
    private FeedSettings provider(final Properties settings)
    {
        final List<FeedSettings> providers = ServeSettings.feeds(settings);
        if (providers.isEmpty())
        {
            throw new UsageException("iys-base-url: not in " + config + " (expected: the İYS login the feed uses)");
        }
        FeedSettings all = null;
        int alls = 0;
        for (final FeedSettings provider : providers)
        {
            if (provider.brands().contains(brand))
            {
                return provider;
            }
            if (provider.brands().isEmpty())
            {
                all = provider;
                alls++;
            }
        }
        if (alls != 1)
        {
            throw new UsageException("--brand: " + brand + " is not among the brands of " + config);
        }
        return all;
    }

    private static String checkedUser(final String username, final String option)
    {
        if (!username.matches(USER_PATTERN))
        {
            throw new UsageException(option + ": '" + username + "' (expected: 1..64 letters, digits, _ . -)");
        }
        return username;
    }
}
