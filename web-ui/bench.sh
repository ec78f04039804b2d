#!/usr/bin/env bash
# Notebook benchmark (src/bench/java/.../CellRoundTripBench.java): warm round trip of a trivial JS cell through the
# server's WebSocket, side by side with the same cell run directly on a ScriptSession; with the Graal compiler on the
# upgrade module path (as ./winnow starts the notebook) when it can be fetched, else interpreted.
#   web-ui/bench.sh [ROUNDS]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$HERE/scripts/find-jdk.sh"
winnow_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
cd "$HERE"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dstyle.color=never"
mvn -q -B -pl web-ui -am test-compile -DskipTests >/dev/null
mvn -q -B -pl web-ui dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
V=$(mvn -q -B help:evaluate -Dexpression=graalvm.version -DforceStdout | sed 's/\x1b\[[0-9;]*m//g')
for a in org.graalvm.compiler:compiler org.graalvm.truffle:truffle-compiler org.graalvm.sdk:collections org.graalvm.sdk:word; do
  mvn -q -B -pl web-ui dependency:copy -DoutputDirectory="$HERE/web-ui/target/jvmci" -Dartifact=$a:$V >/dev/null
done
MODULES=web-ui/target/test-classes:web-ui/target/classes:scripting/target/classes:ranking/target/classes
MODULES=$MODULES:runtime/target/classes:models/target/classes:bindings/target/classes
DEPS=$(tr ':' '\n' < web-ui/target/bench.classpath | grep -v '/dev/winnow/' | paste -sd: -)
UPGRADE=$(ls web-ui/target/jvmci/*.jar | paste -sd: -)
exec java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow \
  -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path="$UPGRADE" \
  -cp "$MODULES:$DEPS" dev.winnow.webui.notebook.CellRoundTripBench "$@"
