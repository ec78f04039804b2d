#!/usr/bin/env bash
# Scripting benchmarks (src/bench/java/.../ScriptingBench.java), run twice side by side: with the Graal compiler on
# the upgrade module path (GraalVM's optimizing Truffle runtime, as ./winnow starts it) and interpreted.
#   scripting/bench.sh [SHARED_DIR]      (default: ../shared beside the repository)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$HERE/scripts/find-jdk.sh"
winnow_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
SHARED="${1:-$HERE/../shared}"
cd "$HERE"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dstyle.color=never"
mvn -q -B -pl scripting -am test-compile -DskipTests >/dev/null
mvn -q -B -pl scripting dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
V=$(mvn -q -B help:evaluate -Dexpression=graalvm.version -DforceStdout | sed 's/\x1b\[[0-9;]*m//g')
mvn -q -B -pl scripting dependency:copy -DoutputDirectory="$HERE/scripting/target/jvmci" \
  -Dartifact=org.graalvm.compiler:compiler:$V >/dev/null
for a in org.graalvm.truffle:truffle-compiler org.graalvm.sdk:collections org.graalvm.sdk:word; do
  mvn -q -B -pl scripting dependency:copy -DoutputDirectory="$HERE/scripting/target/jvmci" -Dartifact=$a:$V >/dev/null
done
# Winnow's own modules from this checkout's build, never from ~/.m2
MODULES=scripting/target/test-classes:scripting/target/classes:ranking/target/classes:runtime/target/classes
MODULES=$MODULES:models/target/classes:bindings/target/classes
DEPS=$(tr ':' '\n' < scripting/target/bench.classpath | grep -v '/dev/winnow/' | paste -sd: -)
CP="$MODULES:$DEPS"
FLAGS=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow -Xmx2g)
UPGRADE=$(ls scripting/target/jvmci/*.jar | paste -sd: -)
echo "== optimizing (Graal compiler, JVMCI)"
status=0
java "${FLAGS[@]}" -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path="$UPGRADE" \
  -cp "$CP" dev.winnow.scripting.bench.ScriptingBench "$SHARED" 2>&1 | grep --line-buffered -v '^WARNING: Using incubator' || status=1
echo "== interpreted"
java "${FLAGS[@]}" -cp "$CP" dev.winnow.scripting.bench.ScriptingBench "$SHARED" 2>&1 | grep --line-buffered -v '^WARNING: Using incubator' || status=1
exit $status
