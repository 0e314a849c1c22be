package io.iysfilter.loadtest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.HistogramIterationValue;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes what load runs measured: {@code summary.json} for machines and {@code latency.html}, a self-contained page
 * (inline SVG, no scripts) with the latency-by-percentile curve of every run and a table of the figures.
 */
public final class Reports
{
    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};
    private static final String[] COLOURS = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 480;
    private static final int LEFT = 70;
    private static final int BOTTOM = 50;
    private static final double MAX_NINES = 6;

    private Reports()
    {
    }

    /**
     * A table of figures beside the runs, e.g. the rounds of a side-by-side comparison.
     *
     * @param name    its title.
     * @param columns the column names.
     * @param rows    one list per row, a value per column (numbers, or text).
     */
    public record Table(String name, List<String> columns, List<List<Object>> rows)
    {
    }

    /**
     * @param file        where.
     * @param machine     a description of the machine and software.
     * @param runs        the runs.
     * @param comparisons named figures derived from the runs (ratios, targets), in order.
     * @throws IOException when it cannot be written.
     */
    public static void writeJson(
        final Path file, final String machine, final List<RunResult> runs, final Map<String, Object> comparisons)
        throws IOException
    {
        writeJson(file, machine, runs, comparisons, List.of());
    }

    /**
     * @param file        where.
     * @param machine     a description of the machine and software.
     * @param runs        the runs.
     * @param comparisons named figures derived from the runs (ratios, targets), in order.
     * @param tables      more figures, as {@code "tables": {name: [{column: value, ...}, ...]}}.
     * @throws IOException when it cannot be written.
     */
    public static void writeJson(
        final Path file,
        final String machine,
        final List<RunResult> runs,
        final Map<String, Object> comparisons,
        final List<Table> tables) throws IOException
    {
        try (JsonGenerator json = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8))
        {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();
            json.writeStringField("machine", machine);
            json.writeArrayFieldStart("runs");
            for (final RunResult run : runs)
            {
                final LoadSettings s = run.settings();
                json.writeStartObject();
                json.writeStringField("name", s.name());
                json.writeStringField("target", run.target());
                json.writeStringField("mode", s.openLoop() ? "open-loop" : "max-throughput");
                json.writeNumberField("connections", s.connections());
                json.writeNumberField("depth", s.depth());
                json.writeNumberField("batch", s.batch());
                if (s.openLoop())
                {
                    json.writeNumberField("offeredRequestsPerSec", s.rate());
                }
                json.writeNumberField("warmupMs", s.warmupMs());
                json.writeNumberField("durationMs", s.durationMs());
                json.writeNumberField("startEpochMs", run.startEpochMs());
                json.writeNumberField("requestsPerSec", Math.round(run.requestsPerSec()));
                json.writeNumberField("decisionsPerSec", Math.round(run.decisionsPerSec()));
                json.writeNumberField("measuredRequests", run.measuredRequests());
                json.writeNumberField("wrong", run.wrong());
                json.writeNumberField("errors", run.errors());
                json.writeNumberField("missing", run.missing());
                json.writeNumberField("maxSendLagUs", run.maxSendLagNs() / 1_000.0);
                json.writeObjectFieldStart("latencyUs");
                for (final double p : PERCENTILES)
                {
                    json.writeNumberField("p" + label(p), round(run.latencyUs(p)));
                }
                json.writeNumberField("max", round(run.maxUs()));
                json.writeNumberField("count", run.histogram().getTotalCount());
                json.writeEndObject();
                json.writeBooleanField("passed", run.passed());
                json.writeArrayFieldStart("failures");
                for (final String failure : run.failures())
                {
                    json.writeString(failure);
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeObjectFieldStart("comparisons");
            for (final Map.Entry<String, Object> entry : comparisons.entrySet())
            {
                json.writeFieldName(entry.getKey());
                if (entry.getValue() instanceof Number number)
                {
                    json.writeNumber(round(number.doubleValue()));
                }
                else
                {
                    json.writeString(String.valueOf(entry.getValue()));
                }
            }
            json.writeEndObject();
            if (!tables.isEmpty())
            {
                json.writeObjectFieldStart("tables");
                for (final Table table : tables)
                {
                    json.writeArrayFieldStart(table.name());
                    for (final List<Object> row : table.rows())
                    {
                        json.writeStartObject();
                        for (int c = 0; c < table.columns().size() && c < row.size(); c++)
                        {
                            json.writeFieldName(table.columns().get(c));
                            if (row.get(c) instanceof Number number)
                            {
                                json.writeNumber(round(number.doubleValue()));
                            }
                            else
                            {
                                json.writeString(String.valueOf(row.get(c)));
                            }
                        }
                        json.writeEndObject();
                    }
                    json.writeEndArray();
                }
                json.writeEndObject();
            }
            json.writeEndObject();
        }
    }

    /**
     * @param file        where.
     * @param title       page title.
     * @param machine     a description of the machine and software.
     * @param runs        the runs, one curve each.
     * @param comparisons named figures shown under the table.
     * @throws IOException when it cannot be written.
     */
    public static void writeHtml(
        final Path file,
        final String title,
        final String machine,
        final List<RunResult> runs,
        final Map<String, Object> comparisons) throws IOException
    {
        writeHtml(file, title, machine, runs, comparisons, List.of());
    }

    /**
     * @param file        where.
     * @param title       page title.
     * @param machine     a description of the machine and software.
     * @param runs        the runs, one curve each.
     * @param comparisons named figures shown under the table.
     * @param tables      more tables, shown first.
     * @throws IOException when it cannot be written.
     */
    public static void writeHtml(
        final Path file,
        final String title,
        final String machine,
        final List<RunResult> runs,
        final Map<String, Object> comparisons,
        final List<Table> tables) throws IOException
    {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) +
                "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}" +
                "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child" +
                "{text-align:left}.fail{color:#b00}</style></head><body>\n");
            out.write("<h1>" + escape(title) + "</h1>\n<p>" + escape(machine) + "</p>\n");
            for (final Table table : tables)
            {
                out.write("<h2>" + escape(table.name()) + "</h2>\n<table><tr>");
                for (final String column : table.columns())
                {
                    out.write("<th>" + escape(column) + "</th>");
                }
                out.write("</tr>\n");
                for (final List<Object> row : table.rows())
                {
                    out.write("<tr>");
                    for (final Object value : row)
                    {
                        out.write("<td>" + escape(value instanceof Number n ? String.format(Locale.ROOT, "%,.2f",
                            n.doubleValue()) : String.valueOf(value)) + "</td>");
                    }
                    out.write("</tr>\n");
                }
                out.write("</table>\n");
            }
            out.write(svg(runs));
            out.write("\n<p>Latency by percentile, log scales. Open-loop runs measure from each request's intended " +
                "send time (no coordinated omission); max-throughput runs from the actual send.</p>\n");
            out.write("<table><tr><th>run</th><th>target</th><th>mode</th><th>conns × depth × batch</th>" +
                "<th>requests/s</th><th>decisions/s</th><th>p50 µs</th><th>p90</th><th>p99</th><th>p99.9</th>" +
                "<th>max</th><th>result</th></tr>\n");
            for (final RunResult run : runs)
            {
                final LoadSettings s = run.settings();
                out.write(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d × %d × %d</td>" +
                    "<td>%,.0f</td><td>%,.0f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>" +
                    "<td class=\"%s\">%s</td></tr>\n", escape(s.name()), run.target(),
                    s.openLoop() ? String.format(Locale.ROOT, "open loop %,.0f/s", s.rate()) : "max throughput",
                    s.connections(), s.depth(), s.batch(), run.requestsPerSec(), run.decisionsPerSec(),
                    run.latencyUs(50), run.latencyUs(90), run.latencyUs(99), run.latencyUs(99.9), run.maxUs(),
                    run.passed() ? "" : "fail", run.passed() ? "pass" : escape(String.join("; ", run.failures()))));
            }
            out.write("</table>\n");
            if (!comparisons.isEmpty())
            {
                out.write("<h2>Comparisons</h2>\n<table>\n");
                for (final Map.Entry<String, Object> entry : comparisons.entrySet())
                {
                    final Object value = entry.getValue();
                    out.write("<tr><td>" + escape(entry.getKey()) + "</td><td>" + escape(value instanceof Number n ?
                        String.format(Locale.ROOT, "%,.2f", n.doubleValue()) : String.valueOf(value)) + "</td></tr>\n");
                }
                out.write("</table>\n");
            }
            out.write("</body></html>\n");
        }
    }

    private static String svg(final List<RunResult> runs)
    {
        double maxUs = 10;
        double minUs = 1;
        for (final RunResult run : runs)
        {
            if (run.histogram().getTotalCount() > 0)
            {
                maxUs = Math.max(maxUs, run.maxUs());
                minUs = Math.min(minUs, Math.max(0.1, run.histogram().getMinValue() / 1_000.0));
            }
        }
        final double lowDecade = Math.floor(Math.log10(minUs));
        final double highDecade = Math.ceil(Math.log10(maxUs));
        final int plotWidth = WIDTH - LEFT - 20;
        final int plotHeight = HEIGHT - BOTTOM - 20;
        final StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH + 260).append("\" height=\"")
            .append(HEIGHT).append("\" font-size=\"12\">\n");
        svg.append("<rect x=\"").append(LEFT).append("\" y=\"20\" width=\"").append(plotWidth).append("\" height=\"")
            .append(plotHeight).append("\" fill=\"none\" stroke=\"#888\"/>\n");
        for (int nines = 0; nines <= MAX_NINES; nines++)
        {
            final double x = LEFT + plotWidth * nines / MAX_NINES;
            final String label = nines == 0 ? "0%" : nines == 1 ? "90%" :
                "99" + (nines > 2 ? "." + "9".repeat(nines - 2) : "") + "%";
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>" +
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, x, 20 + plotHeight, x,
                20 + plotHeight + 18, label));
        }
        for (double decade = lowDecade; decade <= highDecade; decade++)
        {
            final double y = 20 + plotHeight - plotHeight * (decade - lowDecade) / (highDecade - lowDecade);
            final double value = Math.pow(10, decade);
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>" +
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s µs</text>\n", LEFT, y, LEFT + plotWidth, y,
                LEFT - 6, y + 4, value >= 1 ? String.format(Locale.ROOT, "%,.0f", value) :
                String.format(Locale.ROOT, "%.1f", value)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n",
            LEFT + plotWidth / 2, HEIGHT - 8));
        for (int r = 0; r < runs.size(); r++)
        {
            final RunResult run = runs.get(r);
            final String colour = COLOURS[r % COLOURS.length];
            if (run.histogram().getTotalCount() > 0)
            {
                final List<String> points = new ArrayList<>();
                for (final HistogramIterationValue value : run.histogram().percentiles(5))
                {
                    final double p = Math.min(value.getPercentileLevelIteratedTo(), 99.9999);
                    final double nines = Math.min(MAX_NINES, Math.log10(100 / (100 - p)));
                    final double us = Math.max(Math.pow(10, lowDecade),
                        run.histogram().highestEquivalentValue(value.getValueIteratedTo()) / 1_000.0);
                    final double x = LEFT + plotWidth * nines / MAX_NINES;
                    final double y = 20 + plotHeight - plotHeight * (Math.log10(us) - lowDecade) /
                        (highDecade - lowDecade);
                    points.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                }
                svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                    .append(String.join(" ", points)).append("\"/>\n");
            }
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>" +
                "<text x=\"%d\" y=\"%d\">%s (%s)</text>\n", WIDTH - 5, 24 + 18 * r, colour, WIDTH + 14, 30 + 18 * r,
                escape(run.settings().name()), run.target()));
        }
        svg.append("</svg>");
        return svg.toString();
    }

    private static String label(final double percentile)
    {
        final String text = percentile == Math.rint(percentile) ? Long.toString((long)percentile) :
            Double.toString(percentile);
        return text.replace('.', '_');
    }

    private static double round(final double value)
    {
        return Double.isNaN(value) ? -1 : Math.round(value * 100) / 100.0;
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
