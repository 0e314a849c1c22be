package io.iysfilter.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code iys-filter emulator}: runs the İYS emulator until stopped.
 */
public final class EmulatorMain
{
    /**
     * The text of {@code iys-filter emulator --help}.
     */
    public static final String USAGE = String.join("\n",
        "usage: iys-filter emulator [--port 7780] [--iys-code 700001] [--brands 600001,600002]",
        "                           [--recipients 10000] [--seed N] [--username U] [--password P]",
        "                           [--exclusion-seconds 3600] [--token-ttl-seconds 7200]",
        "                           [--change-rate N]   (new ONAY/RET movements per second)",
        "",
        "Serves an İYS stand-in on 127.0.0.1: POST /oauth2/token, GET /sps/{iysCode}/brands,",
        "GET /sps/{iysCode}/brands/{brand}/consents/changes?source=HS|IYS&after=&limit=, and",
        "POST /emulator/changes {\"brand\",\"source\",\"recipient\",\"type\",\"status\"} to make a",
        "movement now. --exclusion-seconds withholds the newest movements, as İYS does for an hour.");

    private EmulatorMain()
    {
    }

    /**
     * @param args options, see the usage text.
     * @throws Exception on failure to start.
     */
    public static void main(final String[] args) throws Exception
    {
        int port = 7780;
        long iysCode = 700_001;
        final List<Long> brands = new ArrayList<>();
        int recipients = 10_000;
        long seed = 6563;
        String username = "iys-user";
        String password = "iys-password";
        long exclusionSec = 3600;
        long tokenTtlSec = 7200;
        double changeRate = 0;
        for (int i = 0; i < args.length; i++)
        {
            final String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" -> port = Integer.parseInt(value);
                case "--iys-code" -> iysCode = Long.parseLong(value);
                case "--brands" ->
                {
                    for (final String brand : value.split(","))
                    {
                        brands.add(Long.parseLong(brand.trim()));
                    }
                }
                case "--recipients" -> recipients = Integer.parseInt(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--username" -> username = value;
                case "--password" -> password = value;
                case "--exclusion-seconds" -> exclusionSec = Long.parseLong(value);
                case "--token-ttl-seconds" -> tokenTtlSec = Long.parseLong(value);
                case "--change-rate" -> changeRate = Double.parseDouble(value);
                case "--help", "-h" ->
                {
                    System.out.println(USAGE);
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option: " + args[i]);
            }
            i++;
        }
        if (brands.isEmpty())
        {
            brands.add(600_001L);
        }
        final IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(port, iysCode, brands, recipients, seed,
            username, password, TimeUnit.SECONDS.toMillis(exclusionSec), TimeUnit.SECONDS.toMillis(tokenTtlSec)));
        emulator.churn(changeRate);
        System.out.printf("İYS emulator on %s: iysCode %d, brands %s, %d recipients each, user %s, %s movements/s%n",
            emulator.baseUrl(), iysCode, brands, recipients, username, changeRate);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            emulator.close();
            stopped.countDown();
        }, "iys-emulator-shutdown"));
        stopped.await();
    }
}
