package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code winnow notebook --kernel-idle-timeout}. */
class NotebookCommandTest {
  @TempDir Path dir;

  @Test
  void idleTimeoutTakesUnitsAndBareSeconds() {
    assertEquals(Duration.ofMinutes(30), NotebookCommand.parseDuration("--kernel-idle-timeout", "30m"));
    assertEquals(Duration.ofSeconds(3600), NotebookCommand.parseDuration("--kernel-idle-timeout", "3600s"));
    assertEquals(Duration.ofHours(1), NotebookCommand.parseDuration("--kernel-idle-timeout", "1h"));
    assertEquals(Duration.ofMillis(500), NotebookCommand.parseDuration("--kernel-idle-timeout", "500ms"));
    assertEquals(Duration.ofSeconds(90), NotebookCommand.parseDuration("--kernel-idle-timeout", "90"));
    assertEquals(Duration.ZERO, NotebookCommand.parseDuration("--kernel-idle-timeout", "0"));
    var e = assertThrows(IllegalArgumentException.class,
        () -> NotebookCommand.parseDuration("--kernel-idle-timeout", "-5m"));
    assertTrue(e.getMessage().contains("--kernel-idle-timeout '-5m' is not a duration"), e.getMessage());
  }

  @Test
  void aBadIdleTimeoutIsRefusedBeforeServing() {
    CliRun r = CliRun.of("notebook", dir.toString(), "--port", "0", "--kernel-idle-timeout", "soon");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("--kernel-idle-timeout 'soon' is not a duration"), r.err());
  }
}
