package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import java.io.File;
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
  @TempDir static Path dir;
  @TempDir static Path profile;
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
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1400", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
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
    return new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(50));
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
    WebElement ta = cell(i).findElement(By.cssSelector("textarea"));
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

    // a cell that prints for 3 s: lines show before it ends
    typeAndRun(2, "for (let i = 0; i < 6; i++) { console.log('line ' + i); const t = Date.now(); while (Date.now() - t < 500) {} }");
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

    // an untrusted HTML output: shown in a sandboxed frame whose own script does not run
    typeAndRun(4, "display('<p id=\"x\">shared html</p><script>document.getElementById(\"x\").textContent = \"script ran\"; fetch(\"/api/notebooks\")</script>', 'text/html')");
    waitForStatus(4, "ok", 30);
    WebElement frame = cell(4).findElement(By.cssSelector("iframe.rich"));
    assertEquals("allow-scripts", frame.getAttribute("sandbox"));
    driver.switchTo().frame(frame);
    assertEquals("shared html", driver.findElement(By.id("x")).getText());
    driver.switchTo().defaultContent();
    // the frame's size reporter (the one script the policy allows, by hash) did run
    waiting(10).until(d -> String.valueOf(frame.getAttribute("style")).contains("height"));

    // restart: variables are gone and counting starts again
    typeAndRun(5, "var kept = 5; kept");
    waitForStatus(5, "ok", 30);
    driver.findElement(By.id("restart")).click();
    waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("restarted"));
    typeAndRun(6, "typeof kept");
    waitForStatus(6, "ok", 60);
    assertTrue(outputText(6).contains("undefined"), outputText(6));
    assertEquals("In [1]:", prompt(6));

    // autosave, then reload: the outputs come back from the .ipynb file
    waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
    Files.write(Path.of("target", "notebook-browser.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    driver.navigate().refresh();
    waiting(30).until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
    assertTrue(outputText(0).contains("from js") && outputText(0).contains("42"), outputText(0));
    assertTrue(outputText(1).contains("from python 1024"), outputText(1));
    assertTrue(outputText(2).contains("line 5"), outputText(2));
    assertEquals("In [1]:", prompt(0));
    JsonNode saved = new ObjectMapper().readTree(Files.readString(dir.resolve("browser.ipynb")));
    assertEquals("python", saved.at("/cells/1/metadata/winnow/language").asText());
    assertEquals("stream", saved.at("/cells/0/outputs/0/output_type").asText());
    assertEquals("execute_result", saved.at("/cells/0/outputs/1/output_type").asText());
    assertEquals("42", saved.at("/cells/0/outputs/1/data/text~1plain").asText());
  }

  @Test
  void jupyterShortcutsInCommandMode() throws Exception {
    server.store().create("keys.ipynb", Language.JS);
    open("keys.ipynb");
    WebElement ta = cell(0).findElement(By.cssSelector("textarea"));
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
    assertEquals("textarea", md.getTagName());
    md.sendKeys("# Heading **bold**");
    md.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
    waiting(5).until(d -> !cell(1).findElements(By.cssSelector(".rendered h1")).isEmpty());
    assertEquals("Heading bold", cell(1).findElement(By.cssSelector(".rendered h1")).getText());
    ta = cell(0).findElement(By.cssSelector("textarea"));
    ta.click();
    ta.sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
    waitForStatus(0, "ok", 60);
    assertTrue(outputText(0).contains("2"));
    driver.switchTo().activeElement().sendKeys("y");
    assertTrue(cell(0).getAttribute("class").contains("code"));
  }

  @Test
  void exampleNotebookRunsAllAndShowsItsViews() throws Exception {
    Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared")).toRealPath();
    Path example = Path.of("..", "examples", "scifact-blockrank.ipynb");
    Assumptions.assumeTrue(Files.isDirectory(shared.resolve("data/scifact")), "needs shared/data/scifact");
    Path exampleDir = dir.resolve("examples");
    Files.createDirectories(exampleDir);
    Files.copy(example, exampleDir.resolve("scifact-blockrank.ipynb"));
    // the notebook looks for shared/ beside its directory, as in the repository; the sandbox may read it
    Files.createSymbolicLink(exampleDir.resolve("shared"), shared);
    try (ScriptHost exampleHost = ScriptHost.create(Sandbox.of(exampleDir, shared)).prewarm(Language.JS);
        NotebookServer exampleServer = NotebookServer.start(NotebookServer.Options.loopback(exampleDir), exampleHost)) {
      driver.get(exampleServer.url() + "&path=scifact-blockrank.ipynb");
      waiting(30).until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
      waiting(30).until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
      driver.findElement(By.id("run-all")).click();
      List<WebElement> code = driver.findElements(By.cssSelector("#notebook .cell.code"));
      WebElement last = code.get(code.size() - 1);
      try {
        new WebDriverWait(driver, Duration.ofSeconds(300), Duration.ofMillis(200))
            .until(d -> last.getAttribute("data-status") != null);
      } finally {
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 4200));
        Files.write(Path.of("target", "notebook-example.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1400));
      }
      for (WebElement c : driver.findElements(By.cssSelector("#notebook .cell.code"))) {
        assertEquals("ok", c.getAttribute("data-status"), c.findElement(By.cssSelector(".outputs")).getText());
      }
      assertEquals(10, driver.findElements(By.cssSelector("table.ranking tbody tr")).size());
      assertFalse(driver.findElements(By.cssSelector(".heatmap canvas")).isEmpty(), "attention heatmap drawn");
      List<WebElement> bars = driver.findElements(By.cssSelector(".progress"));
      assertEquals(1, bars.size(), "progress updates replace each other in place");
      assertTrue(bars.get(0).getText().contains("done") && bars.get(0).getText().contains("100%"), bars.get(0).getText());
      assertTrue(driver.findElements(By.cssSelector("svg.chart rect")).size() >= 9, "metrics chart drawn");
      waiting(20).until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
      JsonNode saved = new ObjectMapper().readTree(Files.readString(exampleDir.resolve("scifact-blockrank.ipynb")));
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
