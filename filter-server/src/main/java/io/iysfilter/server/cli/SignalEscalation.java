package io.iysfilter.server.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A second SIGTERM or SIGINT while a graceful stop is under way forces the process to exit at once.
 * <p>
 * The JVM answers the first signal by running the shutdown hooks, which close the server gracefully; it ignores
 * any further signal while they run, so an operator who needs the process gone now (a stuck client, a slow disk)
 * would otherwise have to reach for SIGKILL. The first signal is passed to the JVM's own handler unchanged; the
 * second halts with status 128 + the signal's number, without running the hooks again. A halt is safe for the
 * index: it is recovered on the next open, and no feed cursor is ever ahead of the changes applied before it.
 * <p>
 * Signal handling is not in the Java SE API: this uses {@code sun.misc.Signal} from the jdk.unsupported module
 * through reflection (javac offers no way to silence its warning about a direct reference). Where it is missing,
 * {@link #install()} says so and the JVM's behaviour is left as it is.
 */
final class SignalEscalation
{
    private static final Logger LOG = LoggerFactory.getLogger(SignalEscalation.class);
    private static final int SIGNAL_EXIT_BASE = 128;

    private SignalEscalation()
    {
    }

    /**
     * Install on SIGTERM and SIGINT.
     *
     * @return whether both handlers are installed.
     */
    static boolean install()
    {
        final AtomicBoolean stopping = new AtomicBoolean();
        try
        {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            final Method handlerMethod = handlerClass.getMethod("handle", signalClass);
            final Method name = signalClass.getMethod("getName");
            final Method number = signalClass.getMethod("getNumber");
            for (final String signalName : new String[]{"TERM", "INT"})
            {
                final Object signal = signalClass.getConstructor(String.class).newInstance(signalName);
                final Object[] previous = new Object[1];
                final InvocationHandler escalating = (proxy, method, args) ->
                {
                    if (!"handle".equals(method.getName()))
                    {
                        return objectMethod(proxy, method, args);
                    }
                    final Object received = args[0];
                    if (stopping.compareAndSet(false, true))
                    {
                        LOG.info("SIG{} received: stopping gracefully; send it again to exit at once",
                            name.invoke(received));
                        handlerMethod.invoke(previous[0], received);
                    }
                    else
                    {
                        final int status = SIGNAL_EXIT_BASE + (int)number.invoke(received);
                        LOG.warn("SIG{} received again: exiting now without finishing the graceful stop, status={}",
                            name.invoke(received), status);
                        Runtime.getRuntime().halt(status);
                    }
                    return null;
                };
                final Object handler = Proxy.newProxyInstance(
                    SignalEscalation.class.getClassLoader(), new Class<?>[]{handlerClass}, escalating);
                previous[0] = handle.invoke(null, signal, handler);
            }
            return true;
        }
        catch (final ReflectiveOperationException | RuntimeException | LinkageError ex)
        {
            LOG.warn("a second SIGTERM will not force an exit on this JVM (sun.misc.Signal unavailable: {})",
                ex.toString());
            return false;
        }
    }

    private static Object objectMethod(final Object proxy, final Method method, final Object[] args)
    {
        return switch (method.getName())
        {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "SignalEscalation";
        };
    }
}
