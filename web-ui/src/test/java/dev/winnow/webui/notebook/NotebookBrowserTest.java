package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real headless Chromium (Debian's chromium and chromium-driver) against a real server and real
 * GraalJS/GraalPy kernels.
 */
class NotebookBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** A cell's editor: CodeMirror's editable content element. */
    static final String EDITOR = ".cm-content";

    @TempDir
    static Path dir;

    @TempDir
    static Path profile;

    static ScriptHost host;
    static NotebookServer server;
    static WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (.ci/run installs them)");
        host = ScriptHost.create(Sandbox.of(dir)).prewarm(Language.JS, Language.PYTHON);
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        driver = newDriver(profile);
    }

    static WebDriver newDriver(Path profile) {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,1400",
                "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .build();
        return new ChromeDriver(service, o);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (host != null) {
            host.close();
        }
    }

    static WebDriverWait waiting(int seconds) {
        // an element the page replaced while the condition looked at it (the notebook list is rebuilt) is looked up
        // again
        return (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(50))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    static void open(String notebook) {
        driver.get(server.url() + "&path=" + notebook);
        waiting(30).until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
    }

    static List<WebElement> cells() {
        return driver.findElements(By.cssSelector("#notebook .cell"));
    }

    static WebElement cell(int i) {
        return cells().get(i);
    }

    static String outputText(int i) {
        return cell(i).findElement(By.cssSelector(".outputs")).getText();
    }

    static String prompt(int i) {
        return cell(i).findElement(By.cssSelector(".cell-in .prompt")).getText();
    }

    /** Types code into cell i and runs it with Shift-Enter. */
    static void typeAndRun(int i, String code) {
        WebElement ta = cell(i).findElement(By.cssSelector(EDITOR));
        ta.click();
        ta.sendKeys(code);
        ta.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
    }

    static void waitForOutput(int i, String text, int seconds) {
        waiting(seconds).until(d -> outputText(i).contains(text));
    }

    static void waitForStatus(int i, String status, int seconds) {
        waiting(seconds).until(d -> status.equals(cell(i).getAttribute("data-status")));
    }

    @Test
    void runsJsAndPythonStreamsInterruptsRestartsAndKeepsOutputs() throws Exception {
        server.store().create("browser.ipynb", Language.JS);
        open("browser.ipynb");

        typeAndRun(0, "console.log('from js'); 6 * 7");
        waitForStatus(0, "ok", 60);
        assertTrue(outputText(0).contains("from js"), outputText(0));
        assertTrue(outputText(0).contains("42"), outputText(0));
        assertEquals("In [1]:", prompt(0));
        assertEquals(2, cells().size(), "Shift-Enter on the last cell adds one");

        new Select(cell(1).findElement(By.cssSelector("select.cell-lang"))).selectByValue("python");
        typeAndRun(1, "import sys\nprint('from python', 2 ** 10)\nprint('oops', file=sys.stderr)");
        waitForStatus(1, "ok", 120);
        assertTrue(outputText(1).contains("from python 1024"), outputText(1));
        assertTrue(outputText(1).contains("oops"), outputText(1));
        // the cell Shift-Enter added takes the language of the cell above (Python), not the notebook's (JavaScript)
        assertEquals(
                "python",
                new Select(cell(2).findElement(By.cssSelector("select.cell-lang")))
                        .getFirstSelectedOption()
                        .getAttribute("value"));
        new Select(cell(2).findElement(By.cssSelector("select.cell-lang"))).selectByValue("js");

        // a cell that prints for 3 s: lines show before it ends
        typeAndRun(
                2,
                "for (let i = 0; i < 6; i++) { console.log('line ' + i); const t = Date.now(); while (Date.now() - t < 500) {} }");
        waitForOutput(2, "line 0", 30);
        String early = outputText(2);
        assertTrue(prompt(2).startsWith("In [*]"), "still running when the first line shows: " + prompt(2));
        assertFalse(early.contains("line 5"), early);
        waitForStatus(2, "ok", 30);
        assertTrue(outputText(2).contains("line 5"));

        // interrupt a runaway cell from the toolbar
        typeAndRun(3, "while (true) {}");
        waiting(30).until(d -> prompt(3).startsWith("In [*]"));
        driver.findElement(By.id("interrupt")).click();
        waitForStatus(3, "interrupted", 15);
        assertTrue(outputText(3).toLowerCase().contains("interrupt"), outputText(3));
        assertEquals("In [4]:", prompt(3), "an interrupted cell keeps its execution count");

        // an untrusted HTML output: shown in a sandboxed frame whose own script does not run
        typeAndRun(
                4,
                "display('<p id=\"x\">shared html</p><script>document.getElementById(\"x\").textContent = \"script ran\"; fetch(\"/api/notebooks\")</script>', 'text/html')");
        waitForStatus(4, "ok", 30);
        WebElement frame = cell(4).findElement(By.cssSelector("iframe.rich"));
        assertEquals("allow-scripts", frame.getAttribute("sandbox"));
        driver.switchTo().frame(frame);
        assertEquals("shared html", driver.findElement(By.id("x")).getText());
        driver.switchTo().defaultContent();
        // the frame's size reporter (the one script the policy allows, by hash) did run
        waiting(10).until(d -> String.valueOf(frame.getAttribute("style")).contains("height"));

        // restart asks first (an in-page dialog): cancelled, the variables stay
        typeAndRun(5, "var kept = 5; kept");
        waitForStatus(5, "ok", 30);
        driver.findElement(By.id("restart")).click();
        WebElement dialog = driver.findElement(By.id("dialog"));
        waiting(5).until(d -> dialog.isDisplayed());
        assertTrue(dialog.getText().contains("Restart the kernel?"), dialog.getText());
        driver.findElement(By.id("dialog-cancel")).click();
        waiting(5).until(d -> !dialog.isDisplayed());
        typeAndRun(6, "kept + 1");
        waitForStatus(6, "ok", 30);
        assertTrue(outputText(6).contains("6"), outputText(6));
        // confirmed: variables are gone and counting starts again
        driver.findElement(By.id("restart")).click();
        waiting(5).until(d -> dialog.isDisplayed());
        driver.findElement(By.id("dialog-ok")).click();
        waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("restarted"));
        typeAndRun(7, "typeof kept");
        waitForStatus(7, "ok", 60);
        assertTrue(outputText(7).contains("undefined"), outputText(7));
        assertEquals("In [1]:", prompt(7));

        // autosave, then reload: the outputs come back from the .ipynb file
        waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
        Files.write(
                Path.of("target", "notebook-browser.png"),
                ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        driver.navigate().refresh();
        waiting(30).until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        assertTrue(outputText(0).contains("from js") && outputText(0).contains("42"), outputText(0));
        assertTrue(outputText(1).contains("from python 1024"), outputText(1));
        assertTrue(outputText(2).contains("line 5"), outputText(2));
        assertEquals("In [1]:", prompt(0));
        JsonNode saved = new ObjectMapper().readTree(Files.readString(dir.resolve("browser.ipynb")));
        assertEquals("python", saved.at("/cells/1/metadata/winnow/language").asText());
        assertEquals("stream", saved.at("/cells/0/outputs/0/output_type").asText());
        assertEquals(
                "execute_result", saved.at("/cells/0/outputs/1/output_type").asText());
        // nbformat's layout: MIME text as a list of lines
        assertEquals(
                "42",
                saved.at("/cells/0/outputs/1/data/text~1plain/0").asText(),
                saved.at("/cells/0").toString());
    }

    /** Types code into cell i, replacing what it holds. */
    static void replaceCode(int i, String code) {
        WebElement ta = cell(i).findElement(By.cssSelector(EDITOR));
        ta.click();
        ta.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        ta.sendKeys(code);
    }

    @Test
    void reRunsConstCellsAndRunAllStopsAtTheFirstError() throws Exception {
        server.store().create("rerun.ipynb", Language.JS);
        open("rerun.ipynb");
        typeAndRun(0, "const coll = [1, 2, 3]; class Box { size() { return coll.length; } } new Box().size()");
        waitForStatus(0, "ok", 60);
        assertEquals("In [1]:", prompt(0));
        // the same cell again: REPL semantics, no "has already been declared"
        WebElement ta = cell(0).findElement(By.cssSelector(EDITOR));
        ta.click();
        ta.sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
        waiting(30).until(d -> "In [2]:".equals(prompt(0)) && "ok".equals(cell(0).getAttribute("data-status")));
        assertTrue(outputText(0).contains("3"), outputText(0));
        assertFalse(outputText(0).contains("already been declared"), outputText(0));
        shot(cell(0), 0, "notebook-rerun.png");

        typeAndRun(1, "if (globalThis.fail) throw new Error('boom ' + coll.length); 'passed'");
        waitForStatus(1, "ok", 30);
        typeAndRun(2, "'later ' + coll.length");
        waitForStatus(2, "ok", 30);
        assertEquals("In [4]:", prompt(2));
        typeAndRun(3, "globalThis.fail = true; 'armed'");
        waitForStatus(3, "ok", 30);
        assertEquals("In [5]:", prompt(3));
        waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));

        // Run all: cell 0 runs (declaring its const again), cell 1 fails, cells 2 and 3 are not run and keep their
        // outputs
        driver.findElement(By.id("run-all")).click();
        waitForStatus(1, "error", 60);
        assertTrue(outputText(1).contains("boom 3"), outputText(1));
        assertEquals("In [7]:", prompt(1));
        assertEquals("ok", cell(0).getAttribute("data-status"));
        assertEquals("In [6]:", prompt(0));
        waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
        Thread.sleep(1500); // a cell wrongly sent after the error would have started by now
        assertEquals("In [4]:", prompt(2));
        assertEquals("later 3", outputText(2).replace("'", "").trim());
        assertEquals("In [5]:", prompt(3));
        assertTrue(outputText(3).contains("armed"), outputText(3));
        // and autosave keeps them in the file
        waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
        JsonNode saved = new ObjectMapper().readTree(Files.readString(dir.resolve("rerun.ipynb")));
        assertEquals(7, saved.at("/cells/1/execution_count").asInt());
        assertEquals("error", saved.at("/cells/1/outputs/0/output_type").asText());
        assertEquals(4, saved.at("/cells/2/execution_count").asInt());
        assertTrue(
                saved.at("/cells/2/outputs/0/data/text~1plain").toString().contains("later 3"),
                saved.at("/cells/2").toString());
        assertEquals(5, saved.at("/cells/3/execution_count").asInt());
        shot(driver.findElement(By.id("notebook")), 0, "notebook-run-all-stops.png");
    }

    /** A small PNG (w x h, one colour) in base64. */
    static String png(int w, int h, int rgb) throws Exception {
        java.awt.image.BufferedImage img =
                new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return java.util.Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** Saves a screenshot of the page's area around an element (plus margin px below it) as target/screenshots/NAME. */
    static void shot(WebElement e, int below, String name) throws Exception {
        Path outDir = Path.of("target", "screenshots");
        Files.createDirectories(outDir);
        ((org.openqa.selenium.JavascriptExecutor) driver)
                .executeScript("arguments[0].scrollIntoView({block: 'start'})", e);
        byte[] page = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(page));
        org.openqa.selenium.Rectangle r = e.getRect();
        Number scrollY =
                (Number) ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("return window.scrollY");
        int x = Math.max(0, r.getX() - 8), y = Math.max(0, r.getY() - scrollY.intValue() - 8);
        int w = Math.min(img.getWidth() - x, r.getWidth() + 16),
                h = Math.min(img.getHeight() - y, r.getHeight() + 16 + below);
        javax.imageio.ImageIO.write(
                img.getSubimage(x, y, w, h), "png", outDir.resolve(name).toFile());
    }

    static String editorText(int i) {
        return cell(i).findElement(By.cssSelector(EDITOR)).getText();
    }

    @Test
    void rendersMarkdownMathImagesRawCellsVegaLiteAndCompletesTheWinnowApi() throws Exception {
        String dot = png(20, 20, 0x2f6fdf);
        String markdown = String.join(
                "\n",
                "## Results",
                "",
                "| ranker | nDCG@10 |",
                "|:--|--:|",
                "| BM25 | 0.665 |",
                "| BlockRank | **0.712** |",
                "",
                "Inline math $e^{i\\pi} + 1 = 0$ and a display formula:",
                "",
                "$$\\mathrm{nDCG@k} = \\frac{1}{Z}\\sum_{i=1}^{k} \\frac{2^{r_i} - 1}{\\log_2(i + 1)}$$",
                "",
                "Attachment ![dot](attachment:dot.png) data URL ![inline](data:image/png;base64,"
                        + png(14, 14, 0xe07a1f) + ") "
                        + "relative ![local](figs/pic.png) ![up](../outside.png) ![vector](figs/d.svg) and raw <b class=\"raw-html\">HTML</b>"
                        + "<script>window.__pwned = 1</script><img src=\"x\" onerror=\"window.__pwned = 2\">"
                        + "<a href=\"javascript:window.__pwned = 3\" id=\"jslink\">link</a>");
        Files.createDirectories(dir.resolve("figs"));
        Files.write(dir.resolve("figs/pic.png"), java.util.Base64.getDecoder().decode(png(24, 12, 0xb83fd1)));
        Files.writeString(dir.resolve("figs/d.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode nb = server.store().create("rich.ipynb", Language.JS);
        com.fasterxml.jackson.databind.node.ArrayNode cells = nb.putArray("cells");
        com.fasterxml.jackson.databind.node.ObjectNode md =
                cells.addObject().put("cell_type", "markdown").put("id", "md1");
        md.putObject("metadata");
        md.put("source", markdown);
        md.putObject("attachments").putObject("dot.png").put("image/png", dot);
        com.fasterxml.jackson.databind.node.ObjectNode raw =
                cells.addObject().put("cell_type", "raw").put("id", "raw1");
        raw.putObject("metadata");
        raw.put("source", "RAW-ONCE pass-through text");
        com.fasterxml.jackson.databind.node.ObjectNode img =
                cells.addObject().put("cell_type", "code").put("id", "png1");
        img.putObject("metadata");
        img.put("source", "// an image output with a size in its metadata").put("execution_count", 1);
        com.fasterxml.jackson.databind.node.ObjectNode out =
                img.putArray("outputs").addObject().put("output_type", "display_data");
        out.putObject("data").put("image/png", png(8, 4, 0x3aa757)).put("text/plain", "<image>");
        out.putObject("metadata").putObject("image/png").put("width", 80).put("height", 40);
        String[] code = {
            "display(JSON.stringify({$schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'nDCG@10 by ranker',"
                    + " data: {values: [{ranker: 'BM25', ndcg: 0.665}, {ranker: 'hybrid', ndcg: 0.689}, {ranker: 'BlockRank', ndcg: 0.712}]},"
                    + " mark: 'bar', encoding: {x: {field: 'ranker', type: 'nominal', sort: null}, y: {field: 'ndcg', type: 'quantitative'}}}),"
                    + " 'application/vnd.vegalite.v5+json')",
            "display(JSON.stringify({data: {url: 'https://example.com/data.csv'}, mark: 'point'}), 'application/vnd.vegalite.v5+json')",
            "",
        };
        String[] ids = {"vega1", "vega2", "typed"};
        for (int k = 0; k < code.length; k++) {
            com.fasterxml.jackson.databind.node.ObjectNode c =
                    cells.addObject().put("cell_type", "code").put("id", ids[k]);
            c.putObject("metadata");
            c.put("source", code[k]).putNull("execution_count");
            c.putArray("outputs");
        }
        server.store().save("rich.ipynb", nb);
        open("rich.ipynb");

        // markdown: a GFM table, KaTeX math, the attachment and the data URL image; raw HTML sanitised
        WebElement rendered = cell(0).findElement(By.cssSelector(".rendered"));
        assertEquals(2, rendered.findElements(By.cssSelector("table th")).size(), rendered.getAttribute("innerHTML"));
        assertEquals(2, rendered.findElements(By.cssSelector("table tbody tr")).size());
        assertEquals(
                "0.712",
                rendered.findElement(By.cssSelector("table tbody tr:nth-child(2) td:nth-child(2)"))
                        .getText());
        assertEquals(
                "right",
                rendered.findElement(By.cssSelector("table tbody td:nth-child(2)"))
                        .getCssValue("text-align"));
        assertEquals(1, rendered.findElements(By.cssSelector(".katex-display")).size(), "display math");
        assertEquals(2, rendered.findElements(By.cssSelector(".katex")).size(), "inline and display math");
        assertTrue(
                rendered.findElement(By.cssSelector(".katex-display")).getText().contains("nDCG"), rendered.getText());
        List<WebElement> images = rendered.findElements(By.cssSelector("img"));
        assertEquals(3, images.size(), rendered.getAttribute("innerHTML"));
        assertEquals("data:image/png;base64," + dot, images.get(0).getAttribute("src"));
        assertEquals("dot", images.get(0).getAttribute("alt"));
        waiting(10)
                .until(d -> ((Number) ((org.openqa.selenium.JavascriptExecutor) d)
                                        .executeScript("return arguments[0].naturalWidth", images.get(0)))
                                .intValue()
                        == 20);
        assertEquals(
                14,
                ((Number) ((org.openqa.selenium.JavascriptExecutor) driver)
                                .executeScript("return arguments[0].naturalWidth", images.get(1)))
                        .intValue());
        // a relative image file comes through the server's image route (the notebook's folder, with the XSRF token)
        assertTrue(
                images.get(2).getAttribute("src").contains("/api/file?path=figs%2Fpic.png&_xsrf="),
                images.get(2).getAttribute("src"));
        waiting(10)
                .until(d -> ((Number) ((org.openqa.selenium.JavascriptExecutor) d)
                                        .executeScript("return arguments[0].naturalWidth", images.get(2)))
                                .intValue()
                        == 24);
        assertTrue(
                rendered.getText().contains("[image up: ../outside.png is outside the notebook directory]"),
                rendered.getText());
        assertTrue(
                rendered.getText()
                        .contains("[image vector: figs/d.svg: only PNG, JPEG, GIF and WebP files are served]"),
                rendered.getText());
        assertEquals("HTML", rendered.findElement(By.cssSelector("b.raw-html")).getText());
        assertTrue(
                rendered.findElements(By.cssSelector("script, img[onerror], [onerror]"))
                        .isEmpty(),
                rendered.getAttribute("innerHTML"));
        assertEquals(null, rendered.findElement(By.id("jslink")).getAttribute("href"));
        rendered.findElement(By.id("jslink")).click();
        assertEquals(
                null, ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("return window.__pwned ?? null"));
        // the fonts came from the server (font-src 'self'), so KaTeX typesets with its own font
        waiting(10)
                .until(d -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) d)
                        .executeScript("return document.fonts.check('16px KaTeX_Main')")));
        shot(cell(0), 0, "notebook-markdown.png");

        // a raw cell shows its text once, unrendered
        String page = driver.findElement(By.id("notebook")).getText();
        assertEquals(page.indexOf("RAW-ONCE"), page.lastIndexOf("RAW-ONCE"), page);
        assertTrue(cell(1).findElements(By.cssSelector(".rendered")).isEmpty());
        assertEquals("RAW-ONCE pass-through text", editorText(1));

        // a PNG output takes its width and height from the output's metadata
        WebElement png = cell(2).findElement(By.cssSelector(".outputs img.rich"));
        assertEquals(80, png.getSize().getWidth());
        assertEquals(40, png.getSize().getHeight());

        // Vega-Lite: the cell's plot is drawn in the page (three bars), and saved as a JSON object, as Jupyter saves it
        WebElement vega = cell(3).findElement(By.cssSelector(EDITOR));
        vega.click();
        vega.sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
        waitForStatus(3, "ok", 60);
        waiting(60)
                .until(d -> !cell(3).findElements(By.cssSelector(".vega-lite[data-state=drawn] svg"))
                        .isEmpty());
        assertEquals(
                3,
                cell(3).findElements(By.cssSelector(".vega-lite svg g.mark-rect path"))
                        .size(),
                cell(3).findElement(By.cssSelector(".outputs")).getAttribute("innerHTML"));
        assertTrue(
                cell(3).findElement(By.cssSelector(".vega-lite svg")).getText().contains("BlockRank"));
        shot(cell(3), 0, "notebook-vega-lite.png");
        // a spec that names a URL is refused with the reason, nothing is fetched
        WebElement external = cell(4).findElement(By.cssSelector(EDITOR));
        external.click();
        external.sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
        waitForStatus(4, "ok", 60);
        waiting(60).until(d -> outputText(4).contains("is not loaded"));
        assertTrue(outputText(4).contains("spec.data.url (https://example.com/data.csv)"), outputText(4));
        waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
        JsonNode saved = json.readTree(Files.readString(dir.resolve("rich.ipynb")));
        assertEquals(
                "bar",
                saved.at("/cells/3/outputs/0/data/application~1vnd.vegalite.v5+json/mark")
                        .asText(),
                saved.at("/cells/3").toString());
        assertEquals(
                3,
                saved.at("/cells/3/outputs/0/data/application~1vnd.vegalite.v5+json/data/values")
                        .size());

        // the editor: typing, highlighting, completion of the winnow API (names from the server), brackets
        WebElement ed = cell(5).findElement(By.cssSelector(EDITOR));
        ed.click();
        ed.sendKeys("const model = winnow.lo");
        WebElement popup = waiting(10)
                .until(d -> d.findElements(By.cssSelector(".cm-tooltip-autocomplete")).stream()
                        .findFirst()
                        .orElse(null));
        assertTrue(popup.getText().contains("loadModel"), popup.getText());
        assertFalse(popup.getText().contains("buildIndex"), "filtered by the typed prefix: " + popup.getText());
        shot(cell(5), 90, "notebook-completion.png");
        ed.sendKeys(Keys.ENTER);
        waiting(5)
                .until(d -> d.findElements(By.cssSelector(".cm-tooltip-autocomplete"))
                        .isEmpty());
        ed.sendKeys("('m.gguf'");
        assertEquals(
                2,
                cell(5).findElements(By.cssSelector(".cm-matchingBracket")).size(),
                "the brackets around the cursor match");
        ed.sendKeys(")");
        assertEquals(
                "const model = winnow.loadModel('m.gguf')",
                editorText(5),
                "completion accepted; closing bracket typed over");
        WebElement keyword = cell(5).findElement(By.xpath(".//div[contains(@class,'cm-line')]/span[text()='const']"));
        WebElement string =
                cell(5).findElement(By.xpath(".//div[contains(@class,'cm-line')]/span[text()=\"'m.gguf'\"]"));
        assertFalse(
                keyword.getCssValue("color").equals(string.getCssValue("color")),
                "keywords and strings highlighted differently");
        // the list of names is the scripting host's own
        List<String> names = dev.winnow.scripting.ApiReference.winnowMembers().stream()
                .map(dev.winnow.scripting.ApiReference.Member::name)
                .toList();
        ed.sendKeys(Keys.ENTER, "winnow.");
        WebElement all = waiting(10)
                .until(d -> d.findElements(By.cssSelector(".cm-tooltip-autocomplete")).stream()
                        .findFirst()
                        .orElse(null));
        List<String> shown = all.findElements(By.cssSelector("li .cm-completionLabel")).stream()
                .map(WebElement::getText)
                .toList();
        assertEquals(names, shown.stream().sorted().toList());
        ed.sendKeys(Keys.ESCAPE);
        waiting(5)
                .until(d -> d.findElements(By.cssSelector(".cm-tooltip-autocomplete"))
                        .isEmpty());
        assertTrue(
                String.valueOf(driver.switchTo().activeElement().getAttribute("class"))
                        .contains("cm-content"),
                "the first Escape only closes the popup");
        // a variable assigned from winnow.loadModel(...) completes the model's members (the type from the signature)
        ed.sendKeys(Keys.ENTER, "model.to");
        WebElement members = waiting(10)
                .until(d -> d.findElements(By.cssSelector(".cm-tooltip-autocomplete")).stream()
                        .findFirst()
                        .orElse(null));
        assertTrue(members.getText().contains("tokenize"), members.getText());
        assertFalse(members.getText().contains("generate"), members.getText());
        ed.sendKeys(Keys.ESCAPE);
    }

    @Test
    void newNotebookAskedInThePage() throws Exception {
        server.store().create("first.ipynb", Language.JS);
        open("first.ipynb");
        driver.findElement(By.id("new-notebook")).click();
        WebElement dialog = driver.findElement(By.id("dialog"));
        waiting(5).until(d -> dialog.isDisplayed());
        WebElement name = dialog.findElement(By.cssSelector("input[name=path]"));
        name.clear();
        name.sendKeys("made-in-page");
        new Select(dialog.findElement(By.cssSelector("select[name=language]"))).selectByValue("python");
        driver.findElement(By.id("dialog-ok")).click();
        waiting(30)
                .until(d -> "made-in-page.ipynb"
                        .equals(new Select(d.findElement(By.id("notebook-list")))
                                .getFirstSelectedOption()
                                .getText()));
        assertTrue(Files.exists(dir.resolve("made-in-page.ipynb")));
        JsonNode nb = new ObjectMapper().readTree(Files.readString(dir.resolve("made-in-page.ipynb")));
        assertEquals("python", nb.at("/metadata/kernelspec/language").asText(), nb.toString());
        waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
        assertEquals(
                "python",
                new Select(cell(0).findElement(By.cssSelector("select.cell-lang")))
                        .getFirstSelectedOption()
                        .getAttribute("value"));
    }

    @Test
    void jupyterShortcutsInCommandMode() throws Exception {
        server.store().create("keys.ipynb", Language.JS);
        open("keys.ipynb");
        WebElement ta = cell(0).findElement(By.cssSelector(EDITOR));
        ta.click();
        ta.sendKeys("1 + 1");
        ta.sendKeys(Keys.ESCAPE);
        WebElement body = driver.switchTo().activeElement();
        body.sendKeys("b");
        waiting(5).until(d -> cells().size() == 2);
        driver.switchTo().activeElement().sendKeys("m");
        waiting(5).until(d -> cell(1).getAttribute("class").contains("markdown"));
        driver.switchTo().activeElement().sendKeys("a");
        waiting(5).until(d -> cells().size() == 3);
        driver.switchTo().activeElement().sendKeys("d");
        driver.switchTo().activeElement().sendKeys("d");
        waiting(5).until(d -> cells().size() == 2);
        driver.switchTo().activeElement().sendKeys(Keys.ENTER);
        WebElement md = driver.switchTo().activeElement();
        assertTrue(String.valueOf(md.getAttribute("class")).contains("cm-content"), "Enter focuses the cell's editor");
        assertTrue(
                cell(1).findElement(By.cssSelector(EDITOR)).equals(md), "the markdown cell's own editor has the focus");
        md.sendKeys("# Heading **bold**");
        md.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
        waiting(5)
                .until(d ->
                        !cell(1).findElements(By.cssSelector(".rendered h1")).isEmpty());
        assertEquals(
                "Heading bold",
                cell(1).findElement(By.cssSelector(".rendered h1")).getText());
        ta = cell(0).findElement(By.cssSelector(EDITOR));
        ta.click();
        ta.sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
        waitForStatus(0, "ok", 60);
        assertTrue(outputText(0).contains("2"));
        driver.switchTo().activeElement().sendKeys("y");
        assertTrue(cell(0).getAttribute("class").contains("code"));
    }

    @Test
    void exampleNotebookRunsAllAndShowsItsViews() throws Exception {
        Path shared =
                Path.of(System.getProperty("winnow.shared.dir", "../shared")).toRealPath();
        Path example = Path.of("..", "examples", "scifact-blockrank.ipynb");
        Assumptions.assumeTrue(Files.isDirectory(shared.resolve("data/scifact")), "needs shared/data/scifact");
        Path exampleDir = dir.resolve("examples");
        Files.createDirectories(exampleDir);
        Files.copy(example, exampleDir.resolve("scifact-blockrank.ipynb"));
        // the notebook looks for shared/ beside its directory, as in the repository; the sandbox may read it
        Files.createSymbolicLink(exampleDir.resolve("shared"), shared);
        try (ScriptHost exampleHost =
                        ScriptHost.create(Sandbox.of(exampleDir, shared)).prewarm(Language.JS);
                NotebookServer exampleServer =
                        NotebookServer.start(NotebookServer.Options.loopback(exampleDir), exampleHost)) {
            driver.get(exampleServer.url() + "&path=scifact-blockrank.ipynb");
            waiting(30)
                    .until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
            waiting(30)
                    .until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
            driver.findElement(By.id("run-all")).click();
            List<WebElement> code = driver.findElements(By.cssSelector("#notebook .cell.code"));
            WebElement last = code.get(code.size() - 1);
            try {
                new WebDriverWait(driver, Duration.ofSeconds(300), Duration.ofMillis(200))
                        .until(d -> last.getAttribute("data-status") != null);
            } finally {
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 4200));
                Files.write(
                        Path.of("target", "notebook-example.png"),
                        ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1400));
            }
            for (WebElement c : driver.findElements(By.cssSelector("#notebook .cell.code"))) {
                assertEquals(
                        "ok",
                        c.getAttribute("data-status"),
                        c.findElement(By.cssSelector(".outputs")).getText());
            }
            assertEquals(
                    10,
                    driver.findElements(By.cssSelector("table.ranking tbody tr"))
                            .size());
            assertFalse(driver.findElements(By.cssSelector(".heatmap canvas")).isEmpty(), "attention heatmap drawn");
            // one bar per progress id: the example's own four-stage bar (id 'rerank') and those of the host calls
            // (model
            // loading, indexing, searching, re-ranking); later updates of an id replace its bar in place, so every bar
            // ends
            // complete and the example's stages leave exactly one bar, at its last stage
            List<WebElement> bars = driver.findElements(By.cssSelector(".progress"));
            List<String> texts = bars.stream().map(WebElement::getText).toList();
            assertTrue(texts.stream().allMatch(t -> t.contains("100%")), "every progress bar ends complete: " + texts);
            List<String> exampleStages = List.of("loading the model", "re-ranking 3 queries", "evaluating", "done");
            List<String> exampleBars = texts.stream()
                    .filter(t -> exampleStages.stream().anyMatch(t::startsWith))
                    .toList();
            assertEquals(1, exampleBars.size(), "the example's stages replace each other in place: " + texts);
            assertTrue(exampleBars.get(0).startsWith("done"), exampleBars.get(0));
            assertTrue(
                    texts.stream().anyMatch(t -> t.startsWith("loading stories260K.gguf")),
                    "model loading shows progress: " + texts);
            assertTrue(driver.findElements(By.cssSelector("svg.chart rect")).size() >= 9, "metrics chart drawn");
            waiting(20)
                    .until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
            JsonNode saved =
                    new ObjectMapper().readTree(Files.readString(exampleDir.resolve("scifact-blockrank.ipynb")));
            boolean heatmapSaved = false;
            for (JsonNode c : saved.get("cells")) {
                for (JsonNode o : c.path("outputs")) {
                    heatmapSaved |= o.path("data").has("application/vnd.winnow.heatmap+json");
                }
            }
            assertTrue(heatmapSaved, "the heatmap's data is saved in the .ipynb");
        }
    }
}
