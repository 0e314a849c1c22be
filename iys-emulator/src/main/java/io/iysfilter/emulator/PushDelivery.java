package io.iysfilter.emulator;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * İYS's push of citizens' own changes, emulated (docs/PUSH.md): connections registered per brand and type (at most
 * two, İYS's rotation slots), a test record posted at registration, and every movement with an {@code IYS_} source
 * posted to each connection of its brand and type as {@code {"list":[record]}} with HTTP Basic. What İYS does not
 * document is configurable ({@link Behaviour}): a delay, duplicates, reordering (a movement held back and sent after
 * the next one), deliveries lost (the first attempts fail), retries, and how many are under way at once. Thread-safe.
 */
public final class PushDelivery implements AutoCloseable
{
    /** Most connections per brand and type: İYS's two slots. */
    public static final int MAX_CONNECTIONS = 2;
    /** İYS's wait for an answer. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final long iysCode;
    private final Map<String, List<Connection>> connections = new ConcurrentHashMap<>();
    /** Most concurrent deliveries {@link #concurrency(int)} takes. */
    public static final int MAX_CONCURRENCY = 64;

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, (runnable) ->
    {
        final Thread thread = new Thread(runnable, "iys-emulator-push");
        thread.setDaemon(true);
        return thread;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final Random random = new Random(42);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final AtomicInteger losses = new AtomicInteger();
    private volatile Behaviour behaviour = Behaviour.PROMPT;
    private volatile boolean requireHttps;
    private Change heldBack;
    private long heldBackBrand;

    /**
     * One registered connection.
     *
     * @param brand        brand code.
     * @param url          where İYS posts.
     * @param type         MESAJ, ARAMA or EPOSTA.
     * @param username     Basic user.
     * @param password     Basic password.
     * @param registeredMs when registered.
     */
    public record Connection(long brand, String url, String type, String username, String password,
        long registeredMs)
    {
    }

    /**
     * How deliveries behave where İYS documents nothing.
     *
     * @param delayMs      from the movement to the first attempt.
     * @param duplicates   probability, 0..1, that a delivery is sent twice.
     * @param reorder      hold each movement back until the next one is sent, then send it (pairs swapped).
     * @param maxAttempts  attempts per delivery, the first included; a non-2xx answer or a lost attempt is retried.
     * @param retryDelayMs between attempts.
     */
    public record Behaviour(long delayMs, double duplicates, boolean reorder, int maxAttempts, long retryDelayMs)
    {
        /** At once, once, in order, three attempts a second apart. */
        public static final Behaviour PROMPT = new Behaviour(0, 0, false, 3, 1_000);
    }

    /**
     * @param iysCode the provider's İYS code, written into each record.
     */
    public PushDelivery(final long iysCode)
    {
        this.iysCode = iysCode;
    }

    /**
     * @param next how deliveries behave from now on.
     */
    public void behaviour(final Behaviour next)
    {
        this.behaviour = next;
    }

    /**
     * @return how deliveries behave now.
     */
    public Behaviour behaviour()
    {
        return behaviour;
    }

    /**
     * @return whether {@code http://} URLs are refused at registration.
     */
    public boolean httpsRequired()
    {
        return requireHttps;
    }

    /**
     * How many deliveries may be under way at once; one (the default) sends them one after the other. İYS documents
     * neither; more than one lets deliveries overtake each other, which the receiver's ordering takes care of.
     *
     * @param deliveries 1..{@link #MAX_CONCURRENCY}.
     * @throws IllegalArgumentException when out of range.
     */
    public void concurrency(final int deliveries)
    {
        if (deliveries < 1 || deliveries > MAX_CONCURRENCY)
        {
            throw new IllegalArgumentException("deliveries: " + deliveries + " (expected: 1.." + MAX_CONCURRENCY +
                ")");
        }
        scheduler.setCorePoolSize(deliveries);
    }

    /**
     * @return how many deliveries may be under way at once.
     */
    public int concurrency()
    {
        return scheduler.getCorePoolSize();
    }

    /**
     * @param required refuse {@code http://} URLs at registration (İYS: H531); off by default, for loopback tests.
     */
    public void requireHttps(final boolean required)
    {
        this.requireHttps = required;
    }

    /**
     * Lose the next attempts: they fail as if the network dropped them (retried per {@link Behaviour}).
     *
     * @param count attempts to lose.
     */
    public void loseNext(final int count)
    {
        losses.set(count);
    }

    /**
     * Register a connection as İYS does: the URL checked, the test record posted and answered 2xx within 5 s.
     *
     * @param brand      brand code.
     * @param connection url, type, username, password.
     * @return null when registered, else {@code code: message} of İYS's refusal.
     */
    String register(final long brand, final Map<String, String> connection)
    {
        final String url = connection.get("url");
        final String type = connection.get("type");
        final String username = connection.get("username");
        final String password = connection.get("password");
        if (url == null || type == null || username == null || password == null)
        {
            return "H168: url, type, username and password are required";
        }
        if (!type.equals("MESAJ") && !type.equals("ARAMA") && !type.equals("EPOSTA"))
        {
            return "H168: type: " + type;
        }
        if (requireHttps && !url.startsWith("https://") || !url.startsWith("https://") && !url.startsWith("http://"))
        {
            return "H531: the push URL must be HTTPS";
        }
        final List<Connection> slots = connections.computeIfAbsent(brand + "/" + type, (key) -> new ArrayList<>());
        synchronized (slots)
        {
            if (slots.size() >= MAX_CONNECTIONS)
            {
                return "H532: at most " + MAX_CONNECTIONS + " connections per brand and type";
            }
        }
        final Connection candidate = new Connection(brand, url, type, username, password,
            System.currentTimeMillis());
        final long nowMs = System.currentTimeMillis();
        final Change test = new Change(nowMs, "test-" + Long.toHexString(nowMs), "pushtest@iys.org.tr", "BIREYSEL",
            "EPOSTA", "ONAY", nowMs, "IYS_MOBIL");
        final int status = post(candidate, body(121212, 121212, test));
        if (status < 200 || status > 299)
        {
            return "H191: the test record was answered " + status + " (expected 2xx within 5 s)";
        }
        synchronized (slots)
        {
            if (slots.size() >= MAX_CONNECTIONS)
            {
                return "H532: at most " + MAX_CONNECTIONS + " connections per brand and type";
            }
            slots.add(candidate);
        }
        return null;
    }

    /**
     * @param brand      brand code.
     * @param connection url, type, username, password of the connection to remove.
     * @return whether one was removed.
     */
    boolean unregister(final long brand, final Map<String, String> connection)
    {
        final List<Connection> slots = connections.get(brand + "/" + connection.get("type"));
        if (slots == null)
        {
            return false;
        }
        synchronized (slots)
        {
            return slots.removeIf((slot) -> slot.url().equals(connection.get("url")) &&
                slot.username().equals(connection.get("username")) &&
                slot.password().equals(connection.get("password")));
        }
    }

    /**
     * @param brand brand code.
     * @return its connections, every type.
     */
    public List<Connection> connections(final long brand)
    {
        final List<Connection> all = new ArrayList<>();
        for (final String type : new String[]{"MESAJ", "ARAMA", "EPOSTA"})
        {
            final List<Connection> slots = connections.get(brand + "/" + type);
            if (slots != null)
            {
                synchronized (slots)
                {
                    all.addAll(slots);
                }
            }
        }
        return all;
    }

    /**
     * A movement was made: a citizen's one ({@code IYS_} source) goes to the brand's connections of its type.
     *
     * @param brand  brand code.
     * @param change the movement.
     */
    void offer(final long brand, final Change change)
    {
        if (!change.source().startsWith("IYS_"))
        {
            return;
        }
        final Behaviour now = behaviour;
        final List<Runnable> sends = new ArrayList<>();
        synchronized (this)
        {
            if (now.reorder() && heldBack == null)
            {
                heldBack = change;
                heldBackBrand = brand;
                return;
            }
            sends.add(() -> deliver(brand, change, now));
            if (heldBack != null)
            {
                final Change held = heldBack;
                final long heldBrand = heldBackBrand;
                heldBack = null;
                sends.add(() -> deliver(heldBrand, held, now));
            }
        }
        long delayMs = now.delayMs();
        for (final Runnable send : sends)
        {
            scheduler.schedule(send, delayMs, TimeUnit.MILLISECONDS);
            // the second of a reordered pair leaves after the first
            delayMs += 1;
        }
    }

    private void deliver(final long brand, final Change change, final Behaviour now)
    {
        final List<Connection> slots = connections.get(brand + "/" + change.type());
        if (slots == null)
        {
            return;
        }
        final List<Connection> targets;
        synchronized (slots)
        {
            targets = List.copyOf(slots);
        }
        final byte[] body = body(iysCode, brand, change);
        for (final Connection target : targets)
        {
            attempt(target, body, 1, now);
            if (now.duplicates() > 0 && random.nextDouble() < now.duplicates())
            {
                attempt(target, body, 1, now);
            }
        }
    }

    private void attempt(final Connection target, final byte[] body, final int attempt, final Behaviour now)
    {
        attempts.incrementAndGet();
        final boolean lost = losses.getAndUpdate((left) -> left > 0 ? left - 1 : 0) > 0;
        final int status = lost ? -1 : post(target, body);
        if (status >= 200 && status <= 299)
        {
            delivered.incrementAndGet();
            return;
        }
        failedAttempts.incrementAndGet();
        if (attempt < now.maxAttempts())
        {
            scheduler.schedule(() -> attempt(target, body, attempt + 1, now), now.retryDelayMs(),
                TimeUnit.MILLISECONDS);
        }
        else
        {
            abandoned.incrementAndGet();
        }
    }

    private int post(final Connection target, final byte[] body)
    {
        try
        {
            final String basic = Base64.getEncoder().encodeToString((target.username() + ":" + target.password())
                .getBytes(StandardCharsets.UTF_8));
            return http.send(HttpRequest.newBuilder(URI.create(target.url())).timeout(TIMEOUT)
                .header("Content-Type", "application/json").header("Authorization", "Basic " + basic)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static byte[] body(final long iysCode, final long brand, final Change change)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = Json.FACTORY.createGenerator(bytes))
        {
            json.writeStartObject();
            json.writeArrayFieldStart("list");
            json.writeStartObject();
            json.writeNumberField("iysCode", iysCode);
            json.writeNumberField("brandCode", brand);
            json.writeStringField("consentDate", IysEmulator.format(change.consentMs()));
            json.writeStringField("creationDate", IysEmulator.format(change.creationMs()));
            json.writeStringField("source", change.source());
            json.writeStringField("recipient", change.recipient());
            json.writeStringField("recipientType", change.recipientType());
            json.writeStringField("status", change.status());
            json.writeStringField("type", change.type());
            json.writeStringField("transactionId", change.transactionId());
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * @return deliveries answered 2xx.
     */
    public long delivered()
    {
        return delivered.get();
    }

    /**
     * @return attempts made, retries and duplicates included.
     */
    public long attempts()
    {
        return attempts.get();
    }

    /**
     * @return attempts that failed (lost, refused, non-2xx).
     */
    public long failedAttempts()
    {
        return failedAttempts.get();
    }

    /**
     * @return deliveries given up after their last attempt.
     */
    public long abandoned()
    {
        return abandoned.get();
    }

    @Override
    public void close()
    {
        scheduler.shutdownNow();
    }
}
