# Sourced by ./winnow, ./run-tests and .ci/run: sets JAVA_HOME to a JDK 25 or newer, or stops with what to install.
winnow_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
winnow_find_jdk() {
  local cand
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    local major; major=$(winnow_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$cand"; return 0; fi
  done
  echo "winnow: no JDK 25 found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable under /usr/lib/jvm)." >&2
  echo "winnow: install a JDK 25 (for example Temurin 25: apt-get install temurin-25-jdk from Adoptium's repository)" >&2
  echo "winnow: and set JAVA_HOME to it." >&2
  return 1
}
