package dev.winnow.webui.cli;

import dev.winnow.ranking.index.IndexProgress;
import java.io.Console;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Renders an index operation's progress ({@link IndexProgress}) as a bar on standard error: redrawn in place on an
 * interactive terminal; elsewhere (a log file, CI, a pipe) one line every 30 s, so that a long embedding run shows it
 * is moving without filling the log. The bar appears with the first report (when the total is known).
 */
final class ConsoleProgress implements IndexProgress, AutoCloseable {

  private static final int LINE_MILLIS = 30_000;

  private final String task;
  private ProgressBar bar;

  /**
   * @param task the bar's label, e.g. {@code indexing}
   */
  ConsoleProgress(String task) {
    this.task = task;
  }

  @Override
  public void update(long done, long total) {
    if (bar == null) {
      ProgressBarBuilder b =
          new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII).showSpeed();
      Console console = System.console();
      if (console != null && console.isTerminal()) {
        b.setUpdateIntervalMillis(250);
      } else {
        b.setUpdateIntervalMillis(LINE_MILLIS).setConsumer(new DelegatingProgressBarConsumer(System.err::println, 100));
      }
      bar = b.build();
    }
    bar.maxHint(total);
    bar.stepTo(done);
  }

  /** Finishes the bar (draws it a last time), if one was shown. */
  @Override
  public void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
