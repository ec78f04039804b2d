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
mvn -q -B -pl scripting -am test-compile -DskipTests >/dev/null
mvn -q -B -pl scripting dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
V=$(mvn -q -B help:evaluate -Dexpression=graalvm.version -DforceStdout)
mvn -q -B -pl scripting dependency:copy -DoutputDirectory=scripting/target/jvmci \
  -Dartifact=org.graalvm.compiler:compiler:$V >/dev/null
for a in org.graalvm.truffle:truffle-compiler org.graalvm.sdk:collections org.graalvm.sdk:word; do
  mvn -q -B -pl scripting dependency:copy -DoutputDirectory=scripting/target/jvmci -Dartifact=$a:$V >/dev/null
done
CP="scripting/target/test-classes:scripting/target/classes:$(cat scripting/target/bench.classpath)"
FLAGS=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow -Xmx2g)
UPGRADE=$(ls scripting/target/jvmci/*.jar | paste -sd: -)
echo "== optimizing (Graal compiler, JVMCI)"
java "${FLAGS[@]}" -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path="$UPGRADE" \
  -cp "$CP" dev.winnow.scripting.bench.ScriptingBench "$SHARED" 2>&1 | grep -v '^WARNING: Using incubator'
echo "== interpreted"
java "${FLAGS[@]}" -cp "$CP" dev.winnow.scripting.bench.ScriptingBench "$SHARED" 2>&1 | grep -v '^WARNING: Using incubator'
