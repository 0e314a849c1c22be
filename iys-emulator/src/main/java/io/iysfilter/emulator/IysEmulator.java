package io.iysfilter.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An İYS stand-in on loopback, for tests, load tests and the demo (docs/IYS-API.md §5, §7–9):
 * <ul>
 *   <li>{@code POST /oauth2/token}: password and refresh-token grants; tokens expire;</li>
 *   <li>{@code GET /sps/{iysCode}/brands}: the provider's brands;</li>
 *   <li>{@code GET /sps/{iysCode}/brands/{brandCode}/consents/changes?source=HS|IYS&after=&limit=}: each source's
 *   movements of the last 7 days, excluding the most recent {@code exclusion} (İYS: one hour), ordered by
 *   creationDate, with opaque {@code after} cursors ({@code <epochMillis>_<transactionId>} like İYS's);</li>
 *   <li>{@code POST /emulator/changes}: make a movement now, as a citizen (source IYS) or the provider (HS) would;
 *   a citizen's is pushed to the connections registered for its brand and type ({@link PushDelivery});</li>
 *   <li>{@code POST|GET /sps/{iysCode}/brands/{brandCode}/push/registration}, {@code POST …/push/unregistration}:
 *   İYS's push connections, two per brand and type;</li>
 *   <li>the dealer-access calls under {@code /sps/{iysCode}/brands/{brandCode}/consents/}: list
 *   ({@code POST retailers/access/list?offset=&limit=}), add ({@code POST retailers/access}), replace ({@code PUT}
 *   the same), remove some ({@code POST retailer/access/remove}, also under {@code retailers}) and remove all
 *   ({@code POST retailers/access/remove/all}), with İYS's limits (100 recipients H127, 100 dealers H126, pages of
 *   at most 100) and errors (an unknown dealer 403 H180, no ONAY to link 400 H401). Like İYS's, they change a
 *   consent's access without a movement: the change feed shows nothing of them.</li>
 * </ul>
 * A generated population gives each brand {@code recipients} ONAY movements over the past six days, some later
 * withdrawn with a RET through İYS. Thread-safe.
 */
public final class IysEmulator implements AutoCloseable
{
    static final ZoneId TURKEY = ZoneId.of("Europe/Istanbul");
    static final DateTimeFormatter IYS_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final long WINDOW_MS = TimeUnit.DAYS.toMillis(7);
    private static final int MAX_LIMIT = 999;
    private static final Pattern CHANGES = Pattern.compile("/sps/(\\d+)/brands/(\\d+)/consents/changes");
    private static final Pattern BRANDS = Pattern.compile("/sps/(\\d+)/brands");
    private static final Pattern ACCESS =
        Pattern.compile("/sps/(\\d+)/brands/(\\d+)/consents/(retailers?/access(?:/list|/remove|/remove/all)?)");
    private static final int MAX_ACCESS_LIST = 100;
    private static final Pattern PUSH_REGISTRATION =
        Pattern.compile("/sps/(\\d+)/brands/(\\d+)/push/(registration|unregistration)");
    private static final Pattern DAILY_FILE =
        Pattern.compile("/sps/(\\d+)/brands/(\\d+)/changes/(\\d{4}-\\d{2}-\\d{2})/file");

    private final Settings settings;
    private final HttpServer server;
    private final ExecutorService executor;
    private final java.util.concurrent.ScheduledExecutorService churn =
        Executors.newSingleThreadScheduledExecutor((runnable) ->
        {
            final Thread thread = new Thread(runnable, "iys-emulator-churn");
            thread.setDaemon(true);
            return thread;
        });
    private final Map<Long, Map<String, List<Change>>> feeds = new ConcurrentHashMap<>();
    private final Map<String, Long> accessTokens = new ConcurrentHashMap<>();
    private final Map<String, Long> refreshTokens = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, AtomicLong> grants = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> changesRequests = new ConcurrentHashMap<>();
    /** Per brand, per consent key (recipientType/type/recipient), the dealers that may use it: İYS's truth. */
    private final Map<Long, Map<String, List<Long>>> access = new ConcurrentHashMap<>();
    /** Per brand, the dealers İYS knows (registered, or named by a record). */
    private final Map<Long, Set<Long>> retailers = new ConcurrentHashMap<>();
    private final AtomicLong accessListRequests = new AtomicLong();
    private final PushDelivery pushes;
    private final AtomicInteger lostRegistrationAnswers = new AtomicInteger();
    private volatile long lateRegistrationMs;
    private final AtomicInteger failedRegistrationAnswers = new AtomicInteger();
    private volatile int failedRegistrationStatus;
    private final AtomicLong lateRegistrations = new AtomicLong();
    private volatile Fault fault = Fault.NONE;
    private java.util.concurrent.ScheduledFuture<?> churning;
    private int faultsLeft;
    private String faultSource;
    private long transactions;

    /** A fault the changes endpoint can be told to show, for the next requests. */
    public enum Fault
    {
        /** Normal answers. */
        NONE,
        /** 429 H124 with Retry-After: 1. */
        TOO_MANY_REQUESTS,
        /** 500 H103. */
        SERVER_ERROR,
        /** A 2-second delay, then a normal answer. */
        SLOW,
        /** 200 with a body that is not JSON. */
        MALFORMED_JSON,
        /** A normal page whose first record has status "RED" (kept for the next non-empty page). */
        INVALID_RECORD,
        /** 422 with an error located at {@code after}: the cursor is unknown or expired. */
        EXPIRED_CURSOR,
        /** 400 H123: service busy, which İYS's retry list says to retry. */
        SERVICE_BUSY,
        /** 403 H355: the user lacks the permission. */
        FORBIDDEN
    }

    /**
     * @param port        TCP port on 127.0.0.1, 0 for any.
     * @param iysCode     the service provider's İYS code.
     * @param brands      its brand codes.
     * @param recipients  generated recipients per brand.
     * @param seed        for the generated population.
     * @param username    accepted user name.
     * @param password    accepted password.
     * @param exclusionMs the most recent movements withheld from the feed (İYS: 1 hour).
     * @param tokenTtlMs  access token lifetime (İYS: 2 hours); refresh tokens live twice as long.
     */
    public record Settings(
        int port,
        long iysCode,
        List<Long> brands,
        int recipients,
        long seed,
        String username,
        String password,
        long exclusionMs,
        long tokenTtlMs)
    {
    }

    /**
     * Generate the population and start serving.
     *
     * @param settings what to emulate.
     * @throws IOException when the port cannot be bound.
     */
    public IysEmulator(final Settings settings) throws IOException
    {
        this.settings = settings;
        this.pushes = new PushDelivery(settings.iysCode());
        final long nowMs = System.currentTimeMillis();
        for (final long brand : settings.brands())
        {
            feeds.put(brand, generate(brand, nowMs));
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", settings.port()), 64);
        executor = Executors.newFixedThreadPool(4, runnable ->
        {
            final Thread thread = new Thread(runnable, "iys-emulator");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * @return the bound port.
     */
    public int port()
    {
        return server.getAddress().getPort();
    }

    /**
     * @return the base URL clients should use.
     */
    public String baseUrl()
    {
        return "http://127.0.0.1:" + port();
    }

    private Map<String, List<Change>> generate(final long brand, final long nowMs)
    {
        final Random generator = new Random(settings.seed() ^ brand);
        final List<Change> hs = new ArrayList<>();
        final List<Change> iys = new ArrayList<>();
        final long startMs = nowMs - TimeUnit.DAYS.toMillis(6);
        for (int i = 0; i < settings.recipients(); i++)
        {
            final boolean email = i % 4 == 3;
            final String recipient = email ? "user" + i + "@example.com" :
                String.format(Locale.ROOT, "+9055%08d", i);
            final String type = email ? "EPOSTA" : i % 2 == 0 ? "MESAJ" : "ARAMA";
            final long creation = startMs + (long)i * TimeUnit.DAYS.toMillis(5) / Math.max(1, settings.recipients());
            hs.add(new Change(creation, nextTransaction(), recipient, "BIREYSEL", type, "ONAY",
                creation - TimeUnit.DAYS.toMillis(30), "HS_WEB"));
            if (generator.nextInt(10) < 3)
            {
                final long retCreation = creation + TimeUnit.HOURS.toMillis(2);
                iys.add(new Change(retCreation, nextTransaction(), recipient, "BIREYSEL", type, "RET", retCreation,
                    "IYS_WEB"));
            }
        }
        iys.sort((a, b) -> Long.compare(a.creationMs(), b.creationMs()));
        final Map<String, List<Change>> sources = new HashMap<>();
        sources.put("HS", hs);
        sources.put("IYS", iys);
        return sources;
    }

    private synchronized String nextTransaction()
    {
        transactions++;
        final byte[] bytes = new byte[26];
        random.nextBytes(bytes);
        return String.format(Locale.ROOT, "%012x", transactions) + HexFormat.of().formatHex(bytes);
    }

    /**
     * Record a movement now, as İYS would on a citizen's or the provider's action.
     *
     * @param brand         brand code.
     * @param source        {@code HS} or {@code IYS}.
     * @param recipient     E.164 phone or e-mail.
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @param status        ONAY or RET.
     * @return the movement.
     */
    public Change change(final long brand, final String source, final String recipient, final String recipientType,
        final String type, final String status)
    {
        return change(brand, source, recipient, recipientType, type, status, null, null);
    }

    /**
     * Record a movement now with İYS's dealer fields, as a consent collected by a dealer or shared with dealers.
     *
     * @param brand          brand code.
     * @param source         {@code HS} or {@code IYS}.
     * @param recipient      E.164 phone or e-mail.
     * @param recipientType  BIREYSEL or TACIR.
     * @param type           ARAMA, MESAJ or EPOSTA.
     * @param status         ONAY or RET.
     * @param retailerCode   the dealer that collected it, or null.
     * @param retailerAccess the dealers that may use it, or null for a record without the field.
     * @return the movement.
     */
    public Change change(final long brand, final String source, final String recipient, final String recipientType,
        final String type, final String status, final Long retailerCode, final List<Long> retailerAccess)
    {
        final List<Change> feed = feeds.get(brand).get(source);
        synchronized (feed)
        {
            final long last = feed.isEmpty() ? 0 : feed.get(feed.size() - 1).creationMs();
            final long nowMs = Math.max(System.currentTimeMillis() / 1000 * 1000, last);
            final Change change = new Change(nowMs, nextTransaction(), recipient, recipientType, type, status, nowMs,
                "IYS".equals(source) ? "IYS_MOBIL" : "HS_WEB", retailerCode,
                retailerAccess == null ? null : List.copyOf(retailerAccess));
            feed.add(change);
            // a new record sets the consent's access to its own list (a RET or a record without one: nobody)
            final Map<String, List<Long>> brandAccess = access.computeIfAbsent(brand, (b) -> new ConcurrentHashMap<>());
            final String key = accessKey(recipientType, type, recipient);
            if ("ONAY".equals(status) && retailerAccess != null)
            {
                brandAccess.put(key, List.copyOf(retailerAccess));
                retailers.computeIfAbsent(brand, (b) -> ConcurrentHashMap.newKeySet()).addAll(retailerAccess);
            }
            else
            {
                brandAccess.remove(key);
            }
            if (retailerCode != null)
            {
                retailers.computeIfAbsent(brand, (b) -> ConcurrentHashMap.newKeySet()).add(retailerCode);
            }
            if ("IYS".equals(source))
            {
                // a citizen's own movement: pushed to the brand's registered connections (İYS pushes IYS_ only)
                pushes.offer(brand, change);
            }
            return change;
        }
    }

    /**
     * @return İYS's push: registered connections, how deliveries behave, what was delivered.
     */
    public PushDelivery pushes()
    {
        return pushes;
    }

    /**
     * Lose the next push registration or unregistration calls, their connections closed without an answer as when
     * the network drops them: a registration is made and its answer lost (the caller cannot tell whether the
     * connection exists), an unregistration is lost before İYS acts on it (the connection stays).
     *
     * @param count answers to lose.
     */
    public void loseNextRegistrationAnswers(final int count)
    {
        loseNextRegistrationAnswers(count, 0);
    }

    /**
     * As {@link #loseNextRegistrationAnswers(int)}, but a registration whose answer is lost is carried out only
     * {@code lateMs} later, as when İYS is still posting its test record when the caller gives up: an unregistration
     * meanwhile finds no connection (H533).
     *
     * @param count  answers to lose.
     * @param lateMs how long after its request a registration whose answer was lost is made; 0 for at once.
     */
    public void loseNextRegistrationAnswers(final int count, final long lateMs)
    {
        lateRegistrationMs = lateMs;
        lostRegistrationAnswers.set(count);
    }

    /**
     * Answer the next push registrations with an error of this status although they were made, as a gateway in front
     * of İYS does when İYS is slow (502, 503, 504): the caller cannot tell whether the connection exists.
     *
     * @param count  registrations to answer so.
     * @param status the HTTP status, 500..599.
     */
    public void failNextRegistrationAnswers(final int count, final int status)
    {
        failedRegistrationStatus = status;
        failedRegistrationAnswers.set(count);
    }

    /**
     * @return registrations made late ({@link #loseNextRegistrationAnswers(int, long)}) so far.
     */
    public long lateRegistrations()
    {
        return lateRegistrations.get();
    }

    private boolean answerLost()
    {
        return lostRegistrationAnswers.getAndUpdate((left) -> left > 0 ? left - 1 : 0) > 0;
    }

    /**
     * Keep making movements at a steady rate, as a live İYS would: every tenth of a second, random recipients of the
     * generated population get a citizen's RET (source IYS, 70%) or a provider's ONAY (HS, 30%).
     *
     * @param perSecond movements per second, over all brands; 0 stops nothing already running.
     */
    public void churn(final double perSecond)
    {
        if (perSecond <= 0)
        {
            return;
        }
        if (churning != null)
        {
            throw new IllegalStateException("already churning");
        }
        final Random generator = new Random(settings.seed());
        final double perTick = perSecond / 10;
        final double[] owed = new double[1];
        churning = churn.scheduleAtFixedRate(() ->
        {
            owed[0] += perTick;
            for (; owed[0] >= 1; owed[0]--)
            {
                final long brand = settings.brands().get(generator.nextInt(settings.brands().size()));
                final int i = generator.nextInt(Math.max(1, settings.recipients()));
                final boolean email = i % 4 == 3;
                final boolean ret = generator.nextInt(10) < 7;
                change(brand, ret ? "IYS" : "HS", email ? "user" + i + "@example.com" :
                    String.format(Locale.ROOT, "+9055%08d", i), "BIREYSEL", email ? "EPOSTA" :
                    i % 2 == 0 ? "MESAJ" : "ARAMA", ret ? "RET" : "ONAY");
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * Stop making movements; when this returns, no more will be made.
     */
    public void stopChurn()
    {
        if (churning != null)
        {
            churning.cancel(false);
            try
            {
                // the churn thread is single: once this no-op has run there, no tick is still running
                churn.submit(Thread::onSpinWait).get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                throw new IllegalStateException(ex);
            }
            churning = null;
        }
    }

    /**
     * Register a dealer of a brand, as {@code POST /sps/{iysCode}/brands/{brandCode}/retailers} would: access may be
     * given only to a registered dealer (else 403 H180). A dealer named by a record is registered by it.
     *
     * @param brand        brand code.
     * @param retailerCode the dealer's İYS number.
     */
    public void retailer(final long brand, final long retailerCode)
    {
        retailers.computeIfAbsent(brand, (b) -> ConcurrentHashMap.newKeySet()).add(retailerCode);
    }

    /**
     * @param brand         brand code.
     * @param recipient     E.164 phone or e-mail.
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @return the dealers that may use the consent now, as İYS holds them (its truth); empty when none.
     */
    public List<Long> access(final long brand, final String recipient, final String recipientType, final String type)
    {
        final Map<String, List<Long>> brandAccess = access.get(brand);
        final List<Long> dealers = brandAccess == null ? null :
            brandAccess.get(accessKey(recipientType, type, recipient));
        return dealers == null ? List.of() : dealers;
    }

    /**
     * @return requests to the access-list call so far, all brands.
     */
    public long accessListRequests()
    {
        return accessListRequests.get();
    }

    private static String accessKey(final String recipientType, final String type, final String recipient)
    {
        return recipientType + "/" + type + "/" + recipient;
    }

    /**
     * @return whether the key's newest movement is an ONAY: access links to a consent (else 400 H401).
     */
    private boolean consented(final long brand, final String recipientType, final String type, final String recipient)
    {
        Change latest = null;
        for (final Change change : movements(brand))
        {
            if (change.recipient().equals(recipient) && change.recipientType().equals(recipientType) &&
                change.type().equals(type) && (latest == null || change.creationMs() > latest.creationMs() ||
                change.creationMs() == latest.creationMs() &&
                change.transactionId().compareTo(latest.transactionId()) > 0))
            {
                latest = change;
            }
        }
        return latest != null && "ONAY".equals(latest.status());
    }

    /**
     * İYS's dealer-access calls: none makes a movement, so the change feed shows none of them.
     */
    private void accessCall(final HttpExchange exchange, final String method, final long iysCode, final long brand,
        final String call) throws IOException
    {
        if (iysCode != settings.iysCode() || !feeds.containsKey(brand))
        {
            error(exchange, 403, "H195", "brand " + brand + " is not one of iysCode " + iysCode);
            return;
        }
        final Map<String, String> body = Json.flatObject(exchange.getRequestBody().readAllBytes());
        final String recipientType = body.get("recipientType");
        final String type = body.get("type");
        if (recipientType == null)
        {
            error(exchange, 422, "H170", "recipientType: missing", "recipientType");
            return;
        }
        if (type == null)
        {
            error(exchange, 422, "H111", "type: missing", "type");
            return;
        }
        final boolean list = call.endsWith("/list");
        if (list && "POST".equals(method))
        {
            accessList(exchange, brand, recipientType, type, body.get("recipient"));
            return;
        }
        final boolean removeAll = call.endsWith("/remove/all");
        final boolean remove = call.endsWith("/remove");
        final boolean add = call.endsWith("access") && "POST".equals(method);
        final boolean replace = call.endsWith("access") && "PUT".equals(method);
        if (!(removeAll || remove) && !add && !replace || (removeAll || remove) && !"POST".equals(method))
        {
            error(exchange, 404, "H404", "no such resource: " + method + " " + call);
            return;
        }
        final List<String> recipients = body.get("recipients") == null ? List.of() :
            splitList(body.get("recipients"));
        if (recipients.isEmpty())
        {
            error(exchange, 422, "H164", "recipients: empty", "recipients");
            return;
        }
        if (recipients.size() > MAX_ACCESS_LIST)
        {
            error(exchange, 422, "H127", "recipients: more than " + MAX_ACCESS_LIST, "recipients");
            return;
        }
        final List<Long> dealers = new ArrayList<>();
        if (!removeAll)
        {
            for (final String dealer : body.get("retailerAccess") == null ? List.<String>of() :
                splitList(body.get("retailerAccess")))
            {
                dealers.add(Long.valueOf(dealer));
            }
            if (dealers.isEmpty())
            {
                error(exchange, 422, "H163", "retailerAccess: empty", "retailerAccess");
                return;
            }
            if (dealers.size() > MAX_ACCESS_LIST)
            {
                error(exchange, 422, "H126", "retailerAccess: more than " + MAX_ACCESS_LIST, "retailerAccess");
                return;
            }
            final Set<Long> known = retailers.getOrDefault(brand, Set.of());
            for (final Long dealer : dealers)
            {
                if (!known.contains(dealer))
                {
                    error(exchange, 403, "H180", "retailerCode " + dealer + " bulunamadı.", "retailerAccess");
                    return;
                }
            }
        }
        for (final String recipient : recipients)
        {
            if (!consented(brand, recipientType, type, recipient))
            {
                error(exchange, 400, "H401", "no consent to link dealers to: " + recipient, "recipients");
                return;
            }
        }
        final String overfull = changeAccess(brand, recipientType, type, recipients, dealers, add, replace, remove);
        if (overfull != null)
        {
            error(exchange, 422, "H126", "retailerAccess: " + overfull + " would have more than " + MAX_ACCESS_LIST,
                "retailerAccess");
            return;
        }
        respond(exchange, remove || removeAll ? 202 : 200, (json) ->
        {
            json.writeStartObject();
            json.writeNumberField("recipients", recipients.size());
            json.writeEndObject();
        });
    }

    /**
     * Change the access of every recipient named, or none: add, replace, remove some, or (none of those) remove all.
     *
     * @return null when done; else the recipient whose access would pass 100 dealers (nothing changed).
     */
    private String changeAccess(final long brand, final String recipientType, final String type,
        final List<String> recipients, final List<Long> dealers, final boolean add, final boolean replace,
        final boolean remove)
    {
        final Map<String, List<Long>> brandAccess = access.computeIfAbsent(brand, (b) -> new ConcurrentHashMap<>());
        synchronized (brandAccess)
        {
            final Map<String, List<Long>> changed = new HashMap<>();
            for (final String recipient : recipients)
            {
                final String key = accessKey(recipientType, type, recipient);
                final List<Long> now = new ArrayList<>(brandAccess.getOrDefault(key, List.of()));
                if (add)
                {
                    for (final Long dealer : dealers)
                    {
                        if (!now.contains(dealer))
                        {
                            now.add(dealer);
                        }
                    }
                    if (now.size() > MAX_ACCESS_LIST)
                    {
                        return recipient;
                    }
                }
                else if (replace)
                {
                    now.clear();
                    now.addAll(dealers);
                }
                else if (remove)
                {
                    now.removeAll(dealers);
                }
                else
                {
                    now.clear();
                }
                changed.put(key, List.copyOf(now));
            }
            brandAccess.putAll(changed);
        }
        return null;
    }

    /**
     * The dealers that may use one consent, a page of at most 100 at a time.
     */
    private void accessList(final HttpExchange exchange, final long brand, final String recipientType,
        final String type, final String recipient) throws IOException
    {
        accessListRequests.incrementAndGet();
        if (recipient == null)
        {
            error(exchange, 422, "H168", "recipient: missing", "recipient");
            return;
        }
        final Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        final int offset;
        final int limit;
        try
        {
            offset = Integer.parseInt(query.getOrDefault("offset", "0"));
            limit = Integer.parseInt(query.getOrDefault("limit", String.valueOf(MAX_ACCESS_LIST)));
        }
        catch (final NumberFormatException ex)
        {
            error(exchange, 422, "H182", "offset and limit are integers", "offset");
            return;
        }
        if (offset < 0 || limit < 1 || limit > MAX_ACCESS_LIST)
        {
            error(exchange, 422, "H186", "offset >= 0, limit 1.." + MAX_ACCESS_LIST, "limit");
            return;
        }
        if (!consented(brand, recipientType, type, recipient))
        {
            error(exchange, 400, "H401", "no consent for " + recipient, "recipient");
            return;
        }
        final List<Long> dealers = access(brand, recipient, recipientType, type);
        final List<Long> page = dealers.subList(Math.min(offset, dealers.size()),
            Math.min(dealers.size(), offset + limit));
        respond(exchange, 200, (json) ->
        {
            json.writeStartObject();
            json.writeNumberField("offset", offset);
            json.writeNumberField("limit", limit);
            json.writeNumberField("totalCount", dealers.size());
            json.writeArrayFieldStart("list");
            for (final Long dealer : page)
            {
                json.writeStartObject();
                json.writeNumberField("retailerCode", dealer);
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    private static List<String> splitList(final String list)
    {
        final List<String> items = new ArrayList<>();
        for (final String item : list.split(","))
        {
            if (!item.isBlank())
            {
                items.add(item.strip());
            }
        }
        return items;
    }

    /**
     * Make the next {@code count} requests to the changes endpoint show a fault.
     *
     * @param injected the fault.
     * @param count    how many requests.
     */
    public synchronized void inject(final Fault injected, final int count)
    {
        inject(injected, count, null);
    }

    /**
     * Make the next {@code count} requests to the changes endpoint for one source show a fault; the other source's
     * requests are answered normally meanwhile.
     *
     * @param injected the fault.
     * @param count    how many requests.
     * @param source   {@code HS} or {@code IYS}; null for either.
     */
    public synchronized void inject(final Fault injected, final int count, final String source)
    {
        fault = injected;
        faultsLeft = count;
        faultSource = source;
    }

    /**
     * @param source {@code HS} or {@code IYS}.
     * @return requests to the changes endpoint for that source so far, all brands, faulty answers included.
     */
    public long changesRequests(final String source)
    {
        final AtomicLong count = changesRequests.get(source);
        return count == null ? 0 : count.get();
    }

    /**
     * The page INVALID_RECORD hit was empty: keep it, for the same sources, for the next request.
     */
    private synchronized void keepInvalidRecord()
    {
        fault = Fault.INVALID_RECORD;
        faultsLeft = 1;
    }

    private synchronized Fault nextFault(final String source)
    {
        if (faultsLeft <= 0 || faultSource != null && !faultSource.equals(source))
        {
            return Fault.NONE;
        }
        faultsLeft--;
        return fault;
    }

    /**
     * Revoke every access token, as if İYS had restarted: the next calls get 401.
     */
    public void revokeAccessTokens()
    {
        accessTokens.clear();
    }

    /**
     * @param grantType {@code password} or {@code refresh_token}.
     * @return how many tokens were granted that way.
     */
    public long grants(final String grantType)
    {
        final AtomicLong count = grants.get(grantType);
        return count == null ? 0 : count.get();
    }

    /**
     * @param brand a brand code.
     * @return every movement of the brand, both sources, as İYS holds them (its truth).
     */
    public List<Change> movements(final long brand)
    {
        final List<Change> all = new ArrayList<>();
        for (final List<Change> feed : feeds.get(brand).values())
        {
            synchronized (feed)
            {
                all.addAll(feed);
            }
        }
        return all;
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        try
        {
            final String path = exchange.getRequestURI().getPath();
            final String method = exchange.getRequestMethod();
            if ("POST".equals(method) && "/oauth2/token".equals(path))
            {
                token(exchange);
                return;
            }
            if ("POST".equals(method) && "/emulator/changes".equals(path))
            {
                control(exchange);
                return;
            }
            if (!authorised(exchange))
            {
                error(exchange, 401, "H351", "Geçersiz veya eksik erişim anahtarı (token).");
                return;
            }
            final Matcher accessCall = ACCESS.matcher(path);
            if (accessCall.matches())
            {
                accessCall(exchange, method, Long.parseLong(accessCall.group(1)), Long.parseLong(accessCall.group(2)),
                    accessCall.group(3));
                return;
            }
            final Matcher changes = CHANGES.matcher(path);
            final Matcher brands = BRANDS.matcher(path);
            final Matcher dailyFile = DAILY_FILE.matcher(path);
            final Matcher push = PUSH_REGISTRATION.matcher(path);
            if (push.matches())
            {
                pushRegistration(exchange, method, Long.parseLong(push.group(1)), Long.parseLong(push.group(2)),
                    push.group(3));
            }
            else if ("GET".equals(method) && dailyFile.matches())
            {
                dailyFile(exchange, Long.parseLong(dailyFile.group(2)), dailyFile.group(3));
            }
            else if ("GET".equals(method) && changes.matches())
            {
                changes(exchange, Long.parseLong(changes.group(1)), Long.parseLong(changes.group(2)));
            }
            else if ("GET".equals(method) && brands.matches())
            {
                brands(exchange, Long.parseLong(brands.group(1)));
            }
            else
            {
                error(exchange, 404, "H404", "no such resource: " + method + " " + path);
            }
        }
        catch (final RuntimeException ex)
        {
            error(exchange, 500, "H103", "emulator error: " + ex);
        }
        finally
        {
            exchange.close();
        }
    }

    /**
     * İYS's push registration: {@code POST …/push/registration} with {@code {"connection":[{url, type, username,
     * password}]}}, {@code GET} the same path for the list, {@code POST …/push/unregistration} with one connection.
     */
    private void pushRegistration(final HttpExchange exchange, final String method, final long iysCode,
        final long brand, final String action) throws IOException
    {
        if (iysCode != settings.iysCode() || !feeds.containsKey(brand))
        {
            error(exchange, 403, "H195", "brand " + brand + " is not one of iysCode " + iysCode);
            return;
        }
        if ("GET".equals(method) && "registration".equals(action))
        {
            respond(exchange, 200, (json) ->
            {
                json.writeStartArray();
                for (final PushDelivery.Connection connection : pushes.connections(brand))
                {
                    json.writeStartObject();
                    json.writeStringField("url", connection.url());
                    json.writeStringField("type", connection.type());
                    json.writeStringField("status", "Bağlantı Oluşturuldu");
                    json.writeStringField("registerTime", format(connection.registeredMs()));
                    json.writeEndObject();
                }
                json.writeEndArray();
            });
            return;
        }
        if (!"POST".equals(method))
        {
            error(exchange, 404, "H404", "no such resource: " + method + " " + exchange.getRequestURI().getPath());
            return;
        }
        final byte[] body = exchange.getRequestBody().readAllBytes();
        if ("unregistration".equals(action))
        {
            if (answerLost())
            {
                return;
            }
            final boolean removed = pushes.unregister(brand, Json.flatObject(body));
            if (removed)
            {
                respond(exchange, 200, (json) -> message(json, "Bağlantı Kaldırıldı"));
            }
            else
            {
                error(exchange, 404, "H533", "no such connection");
            }
            return;
        }
        final long lateMs = lateRegistrationMs;
        if (lateMs > 0 && answerLost())
        {
            final List<Map<String, String>> late = Json.objectList(body, "connection");
            churn.schedule(() ->
            {
                for (final Map<String, String> connection : late)
                {
                    pushes.register(brand, connection);
                }
                lateRegistrations.incrementAndGet();
            }, lateMs, TimeUnit.MILLISECONDS);
            return;
        }
        for (final Map<String, String> connection : Json.objectList(body, "connection"))
        {
            final String refusal = pushes.register(brand, connection);
            if (refusal != null)
            {
                error(exchange, refusal.startsWith("H531") || refusal.startsWith("H168") ? 422 : 400,
                    refusal.substring(0, 4), refusal.substring(6));
                return;
            }
        }
        if (answerLost())
        {
            return;
        }
        if (failedRegistrationAnswers.getAndUpdate((left) -> left > 0 ? left - 1 : 0) > 0)
        {
            error(exchange, failedRegistrationStatus, "H103", "gateway: upstream did not answer in time");
            return;
        }
        respond(exchange, 200, (json) -> message(json, "Bağlantı oluşturuldu"));
    }

    private static void message(final JsonGenerator json, final String text) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("message", text);
        json.writeEndObject();
    }

    private void token(final HttpExchange exchange) throws IOException
    {
        final Map<String, String> body = Json.flatObject(exchange.getRequestBody().readAllBytes());
        final long nowMs = System.currentTimeMillis();
        final String grant = body.get("grant_type");
        if ("password".equals(grant))
        {
            if (!settings.username().equals(body.get("username")) || !settings.password().equals(body.get("password")))
            {
                error(exchange, 401, "H252", "Kullanıcı adı veya şifre hatalı.");
                return;
            }
        }
        else if ("refresh_token".equals(grant))
        {
            final Long expiry = refreshTokens.remove(String.valueOf(body.get("refresh_token")));
            if (expiry == null || expiry < nowMs)
            {
                error(exchange, 401, "H351", "Geçersiz yenileme anahtarı.");
                return;
            }
        }
        else
        {
            error(exchange, 400, "H250", "grant_type: " + grant);
            return;
        }
        grants.computeIfAbsent(grant, (name) -> new AtomicLong()).incrementAndGet();
        final String access = HexFormat.of().formatHex(randomBytes());
        final String refresh = HexFormat.of().formatHex(randomBytes());
        accessTokens.put(access, nowMs + settings.tokenTtlMs());
        refreshTokens.put(refresh, nowMs + 2 * settings.tokenTtlMs());
        respond(exchange, 200, (json) ->
        {
            json.writeStartObject();
            json.writeStringField("access_token", access);
            json.writeStringField("refresh_token", refresh);
            json.writeNumberField("expires_in", settings.tokenTtlMs() / 1000);
            json.writeNumberField("refresh_expires_in", 2 * settings.tokenTtlMs() / 1000);
            json.writeStringField("token_type", "bearer");
            json.writeEndObject();
        });
    }

    private byte[] randomBytes()
    {
        final byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return bytes;
    }

    private boolean authorised(final HttpExchange exchange)
    {
        final String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7))
        {
            return false;
        }
        final Long expiry = accessTokens.get(header.substring(7).trim());
        return expiry != null && expiry >= System.currentTimeMillis();
    }

    private void brands(final HttpExchange exchange, final long iysCode) throws IOException
    {
        if (iysCode != settings.iysCode())
        {
            error(exchange, 403, "H196", "iysCode: " + iysCode);
            return;
        }
        respond(exchange, 200, (json) ->
        {
            json.writeStartArray();
            for (final long brand : settings.brands())
            {
                json.writeStartObject();
                json.writeNumberField("brandCode", brand);
                json.writeStringField("name", "Emulated brand " + brand);
                json.writeBooleanField("master", brand == settings.brands().get(0));
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }

    private void changes(final HttpExchange exchange, final long iysCode, final long brand) throws IOException
    {
        final Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        final Map<String, List<Change>> sources = feeds.get(brand);
        final String source = query.get("source");
        if (iysCode != settings.iysCode() || sources == null)
        {
            error(exchange, 403, "H195", "brand " + brand + " is not one of iysCode " + iysCode);
            return;
        }
        if (!"HS".equals(source) && !"IYS".equals(source))
        {
            error(exchange, 422, "H168", "source: " + source + " (expected: HS or IYS)");
            return;
        }
        changesRequests.computeIfAbsent(source, (name) -> new AtomicLong()).incrementAndGet();
        final Fault injected = nextFault(source);
        if (answeredWithFault(exchange, injected))
        {
            return;
        }
        final int limit = Math.min(MAX_LIMIT, Math.max(1, Integer.parseInt(query.getOrDefault("limit", "500"))));
        final long nowMs = System.currentTimeMillis();
        final long newestMs = nowMs - settings.exclusionMs();
        final List<Change> feed = sources.get(source);
        final List<Change> page = new ArrayList<>();
        synchronized (feed)
        {
            int start = 0;
            final String after = query.get("after");
            if (after != null && !after.isEmpty())
            {
                start = position(feed, after);
                if (start < 0)
                {
                    error(exchange, 422, "H400", "after: unknown or expired cursor '" + after + "'", "after");
                    return;
                }
            }
            while (start < feed.size() && feed.get(start).creationMs() < nowMs - WINDOW_MS)
            {
                start++;
            }
            for (int i = start; i < feed.size() && page.size() < limit && feed.get(i).creationMs() <= newestMs; i++)
            {
                page.add(feed.get(i));
            }
        }
        if (injected == Fault.INVALID_RECORD && page.isEmpty())
        {
            keepInvalidRecord();
        }
        final String next = page.isEmpty() ? query.get("after") : page.get(page.size() - 1).cursor();
        respond(exchange, 200, (json) ->
        {
            json.writeStartObject();
            json.writeStringField("after", next);
            json.writeArrayFieldStart("list");
            for (final Change change : page)
            {
                final boolean corrupt = injected == Fault.INVALID_RECORD && change == page.get(0);
                json.writeStartObject();
                json.writeStringField("consentDate", format(change.consentMs()));
                json.writeStringField("creationDate", format(change.creationMs()));
                json.writeStringField("source", change.source());
                json.writeStringField("recipient", change.recipient());
                json.writeStringField("recipientType", change.recipientType());
                json.writeStringField("status", corrupt ? "RED" : change.status());
                json.writeStringField("type", change.type());
                json.writeStringField("transactionId", change.transactionId());
                if (change.retailerCode() != null)
                {
                    json.writeNumberField("retailerCode", change.retailerCode());
                }
                if (change.retailerAccess() != null)
                {
                    json.writeArrayFieldStart("retailerAccess");
                    for (final Long dealer : change.retailerAccess())
                    {
                        json.writeNumber(dealer);
                    }
                    json.writeEndArray();
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    /**
     * @return whether the fault was the whole answer (SLOW only delays a normal one).
     */
    private static boolean answeredWithFault(final HttpExchange exchange, final Fault injected) throws IOException
    {
        switch (injected)
        {
            case TOO_MANY_REQUESTS ->
            {
                exchange.getResponseHeaders().set("Retry-After", "1");
                error(exchange, 429, "H124", "Saniyelik istek limiti aşıldı.");
                return true;
            }
            case SERVER_ERROR ->
            {
                error(exchange, 500, "H103", "Beklenmeyen bir hata oluştu.");
                return true;
            }
            case EXPIRED_CURSOR ->
            {
                error(exchange, 422, "H400", "after: unknown or expired cursor", "after");
                return true;
            }
            case SERVICE_BUSY ->
            {
                error(exchange, 400, "H123", "Servis meşgul, lütfen daha sonra tekrar deneyiniz.");
                return true;
            }
            case FORBIDDEN ->
            {
                error(exchange, 403, "H355", "Kullanıcının bu işlem tipi için yetkisi bulunmamaktadır.");
                return true;
            }
            case MALFORMED_JSON ->
            {
                final byte[] broken = "{\"after\":\"1_2\",\"list\":[{\"recipient\":".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, broken.length);
                try (OutputStream out = exchange.getResponseBody())
                {
                    out.write(broken);
                }
                return true;
            }
            case SLOW -> pause(2_000);
            default ->
            {
            }
        }
        return false;
    }

    /**
     * The daily change file: every movement of both sources whose creationDate falls on {@code date}, Turkey time,
     * as CSV with İYS's columns.
     */
    private void dailyFile(final HttpExchange exchange, final long brand, final String date) throws IOException
    {
        if (!feeds.containsKey(brand))
        {
            error(exchange, 403, "H195", "brand: " + brand);
            return;
        }
        final StringBuilder csv = new StringBuilder(
            "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n");
        final List<Change> day = new ArrayList<>();
        for (final Change change : movements(brand))
        {
            if (format(change.creationMs()).startsWith(date))
            {
                day.add(change);
            }
        }
        day.sort((a, b) -> Long.compare(a.creationMs(), b.creationMs()));
        for (final Change change : day)
        {
            csv.append(format(change.creationMs())).append(',').append(change.transactionId()).append(',')
                .append(change.recipient()).append(',').append(change.recipientType()).append(',')
                .append(change.type()).append(',').append(change.status()).append(',')
                .append(format(change.consentMs())).append(',').append(change.source()).append('\n');
        }
        final byte[] body = csv.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/csv; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }

    /**
     * @return the index after the cursor's movement, or -1 when the cursor names no movement of this feed.
     */
    private static int position(final List<Change> feed, final String after)
    {
        final int underscore = after.indexOf('_');
        if (underscore < 0)
        {
            return -1;
        }
        final String transactionId = after.substring(underscore + 1);
        for (int i = feed.size() - 1; i >= 0; i--)
        {
            if (feed.get(i).transactionId().equals(transactionId))
            {
                return i + 1;
            }
        }
        return -1;
    }

    private void control(final HttpExchange exchange) throws IOException
    {
        final Map<String, String> body = Json.flatObject(exchange.getRequestBody().readAllBytes());
        final Change change = change(Long.parseLong(body.get("brand")), body.getOrDefault("source", "IYS"),
            body.get("recipient"), body.getOrDefault("recipientType", "BIREYSEL"), body.get("type"),
            body.get("status"), body.get("retailerCode") == null ? null : Long.valueOf(body.get("retailerCode")),
            dealers(body.get("retailerAccess")));
        respond(exchange, 200, (json) ->
        {
            json.writeStartObject();
            json.writeStringField("transactionId", change.transactionId());
            json.writeStringField("creationDate", format(change.creationMs()));
            json.writeEndObject();
        });
    }

    private static List<Long> dealers(final String list)
    {
        if (list == null)
        {
            return null;
        }
        final List<Long> dealers = new ArrayList<>();
        for (final String dealer : list.split(","))
        {
            if (!dealer.isBlank())
            {
                dealers.add(Long.valueOf(dealer.strip()));
            }
        }
        return dealers;
    }

    private static void pause(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    static String format(final long epochMs)
    {
        return IYS_TIME.format(LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMs), TURKEY));
    }

    private static Map<String, String> query(final String rawQuery)
    {
        final Map<String, String> parameters = new HashMap<>();
        if (rawQuery != null)
        {
            for (final String pair : rawQuery.split("&"))
            {
                final int equals = pair.indexOf('=');
                if (equals > 0)
                {
                    parameters.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return parameters;
    }

    private interface JsonBody
    {
        void write(JsonGenerator json) throws IOException;
    }

    private static void respond(final HttpExchange exchange, final int status, final JsonBody body) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = Json.FACTORY.createGenerator(bytes))
        {
            body.write(json);
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.size());
        try (OutputStream out = exchange.getResponseBody())
        {
            bytes.writeTo(out);
        }
    }

    private static void error(final HttpExchange exchange, final int status, final String code, final String message)
        throws IOException
    {
        error(exchange, status, code, message, null);
    }

    /**
     * İYS's error body; {@code location}, when not null, names the field the error concerns.
     */
    private static void error(
        final HttpExchange exchange, final int status, final String code, final String message, final String location)
        throws IOException
    {
        respond(exchange, status, (json) ->
        {
            json.writeStartObject();
            json.writeArrayFieldStart("errors");
            json.writeStartObject();
            json.writeStringField("code", code);
            json.writeStringField("message", message);
            if (location != null)
            {
                json.writeArrayFieldStart("location");
                json.writeString(location);
                json.writeEndArray();
            }
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    /**
     * Stop serving.
     */
    @Override
    public void close()
    {
        churn.shutdownNow();
        pushes.close();
        server.stop(0);
        executor.shutdown();
    }
}
