#!/usr/bin/env bash
# Builds examples/java-quickstart, a stand-alone Maven project, against Winnow's artifacts built from this checkout,
# and runs it on SciFact with stories260K, as a newcomer would after `mvn install`. Nothing is written to ~/.m2: the
# artifacts are installed into a local repository of the example's own under WORK_DIR (every other dependency is read
# from ~/.m2 as a file repository, so it works offline once the repository has been built).
#   scripts/java-quickstart.sh [WORK_DIR]      (default: a new temporary directory; prints the example's output)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$HERE/scripts/find-jdk.sh"
winnow_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
WORK="${1:-$(mktemp -d /tmp/winnow-java-quickstart.XXXXXX)}"
mkdir -p "$WORK"
M2="${WINNOW_M2:-$HOME/.m2/repository}"
SHARED="${WINNOW_SHARED:-$HERE/../shared}"
# 1. Winnow's library modules, built without tests (offline once the repository has been built)
(cd "$HERE" && mvn -B -q -o -DskipTests -Dmaven.test.skip=true -pl .,bindings,models,runtime,ranking package)
# 2. a local repository of the example's own: Winnow's artifacts installed into it (as `mvn install` would put them
#    into ~/.m2), every other artifact read from ~/.m2 as a file repository (mirror), never written there
cat > "$WORK/settings.xml" <<XML
<settings>
  <localRepository>$WORK/m2</localRepository>
  <mirrors><mirror><id>local-m2</id><mirrorOf>*</mirrorOf><url>file://$M2</url></mirror></mirrors>
</settings>
XML
install() { # FILE POM [PACKAGING]
  (cd "$WORK" && mvn -B -q -s "$WORK/settings.xml" org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file \
    -Dfile="$1" -DpomFile="$2" ${3:+-Dpackaging=$3})
}
install "$HERE/pom.xml" "$HERE/pom.xml" pom
for m in bindings models runtime ranking; do
  install "$(ls "$HERE/$m"/target/winnow-$m-*.jar | grep -v -e sources -e tests | head -n 1)" "$HERE/$m/pom.xml"
done
# 3. the example, as its own project, copied out of the repository
rm -rf "$WORK/example" && cp -r "$HERE/examples/java-quickstart" "$WORK/example"
(cd "$WORK/example" && mvn -B -q -s "$WORK/settings.xml" package \
  org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=runtime)
# 4. run it with the JVM flags Winnow needs
cd "$WORK/example"
java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -cp "target/winnow-java-quickstart-1.0.jar:$(cat cp.txt)" com.example.QuickStart \
  "${WINNOW_QUICKSTART_COLLECTION:-$SHARED/data/scifact}" "$WORK/index" "$SHARED/models/stories260K.gguf"
