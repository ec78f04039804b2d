#!/usr/bin/env bash
# Builds examples/java-quickstart, a stand-alone Maven project, against Winnow's artifacts built from this checkout,
# and runs it on SciFact with stories260K, as a newcomer would after installing Winnow. Nothing is written to
# ~/.m2: the artifacts go to a file staging repository and the example builds with a local repository of its own
# (dependencies are read from ~/.m2 as a file repository, so it works offline once the repository has been built).
#   scripts/java-quickstart.sh [WORK_DIR]      (default: a new temporary directory; prints the example's output)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$HERE/scripts/find-jdk.sh"
winnow_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
WORK="${1:-$(mktemp -d /tmp/winnow-java-quickstart.XXXXXX)}"
mkdir -p "$WORK"
STAGING="$WORK/staging"
M2="${WINNOW_M2:-$HOME/.m2/repository}"
SHARED="${WINNOW_SHARED:-$HERE/../shared}"
# 1. Winnow's artifacts (the parent POM and the four library modules), no tests, into the staging repository
# (package, then the deploy goal alone: the deploy phase would install into ~/.m2 first; deploying refuses -o)
(cd "$HERE" && mvn -B -q -DskipTests -Dmaven.test.skip=true -pl .,bindings,models,runtime,ranking \
  package org.apache.maven.plugins:maven-deploy-plugin:3.1.4:deploy -DaltDeploymentRepository="staging::file://$STAGING")
# 2. the example, as its own project: Winnow from the staging repository, everything else from ~/.m2 (read only)
cat > "$WORK/settings.xml" <<XML
<settings>
  <localRepository>$WORK/m2</localRepository>
  <mirrors><mirror><id>local-m2</id><mirrorOf>*,!staging</mirrorOf><url>file://$M2</url></mirror></mirrors>
  <profiles><profile><id>staging</id>
    <repositories><repository><id>staging</id><url>file://$STAGING</url>
      <snapshots><enabled>true</enabled></snapshots></repository></repositories>
  </profile></profiles>
  <activeProfiles><activeProfile>staging</activeProfile></activeProfiles>
</settings>
XML
rm -rf "$WORK/example" && cp -r "$HERE/examples/java-quickstart" "$WORK/example"
(cd "$WORK/example" && mvn -B -q -s "$WORK/settings.xml" package \
  org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=runtime)
# 3. run it with the JVM flags Winnow needs
cd "$WORK/example"
java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -cp "target/winnow-java-quickstart-1.0.jar:$(cat cp.txt)" com.example.QuickStart \
  "${WINNOW_QUICKSTART_COLLECTION:-$SHARED/data/scifact}" "$WORK/index" "$SHARED/models/stories260K.gguf"
