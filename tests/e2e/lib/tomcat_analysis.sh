# Writes a hand-made analysis.json of Debian's tomcat10 instance (what `decant analyze` of the
# Tomcat analyzer produces, in small), for tests and benchmarks that must not depend on the
# analyzer. Usage: write_tomcat_analysis OUT.json [JAVA_HOME]
# The exclusions are those of jvm_headless_exclusions and jvm_unused_file_exclusions
# (lib/decant/pack/library_rules.cpp) for a command line without -agentlib:jdwp.
write_tomcat_analysis() {
  local out="$1" java_home="${2:-/usr/lib/jvm/java-17-openjdk-amd64}"
  local uid gid
  uid="$(id -u tomcat)"; gid="$(id -g tomcat)"
  jq -n --arg jh "$java_home" --argjson uid "$uid" --argjson gid "$gid" '{
    schemaVersion: 1, applicationId: "java-tomcat-0000beef", applicationType: "java-tomcat",
    createdAt: "2026-11-25T00:00:00Z",
    source: {hostname: "source-host", arch: "x86_64", timezone: "Etc/UTC"},
    process: {pid: 1, exe: ($jh + "/bin/java"), uid: $uid, gid: $gid, user: "tomcat", group: "tomcat", cwd: "/var/lib/tomcat10"},
    runtime: {name: "Apache Tomcat", version: "10", javaHome: $jh,
      lazyLibraries: [
        {path: ($jh + "/lib/libawt_headless.so"), reason: "AWT headless toolkit (java.awt.headless=true)"},
        {path: ($jh + "/lib/libfontmanager.so"), reason: "font rendering for headless AWT"}]},
    ports: [{port: 8080, role: "http", expose: true}],
    env: [{name: "LANG", value: "C.UTF-8"}, {name: "JAVA_HOME", value: $jh}],
    start: {command: [($jh + "/bin/java"), "-Djava.util.logging.config.file=/var/lib/tomcat10/conf/logging.properties",
        "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager", "-Djava.awt.headless=true",
        "-classpath", "/usr/share/tomcat10/bin/bootstrap.jar:/usr/share/tomcat10/bin/tomcat-juli.jar",
        "-Dcatalina.base=/var/lib/tomcat10", "-Dcatalina.home=/usr/share/tomcat10", "-Djava.io.tmpdir=/tmp",
        "org.apache.catalina.startup.Bootstrap", "start"],
      workingDir: "/var/lib/tomcat10", user: "tomcat"},
    files: [
      {path: ($jh + "/lib/server/libjvm.so"), role: "runtime", reason: "mapped by the process"},
      {path: $jh, role: "runtime", reason: "JAVA_HOME"},
      {path: "/usr/share/tomcat10", role: "server", reason: "CATALINA_HOME"},
      {path: "/usr/share/java/eclipse-jdt-core.jar", role: "server", reason: "JSP compiler (Class-Path of the Jasper jar)"},
      {path: "/var/lib/tomcat10", role: "app", reason: "CATALINA_BASE"},
      {path: "/usr/share/tomcat10-examples", role: "app", reason: "examples webapp", optional: true},
      {path: "/etc/tomcat10", role: "config", reason: "Tomcat configuration"}],
    volumes: [
      {path: "/var/log/tomcat10", role: "log", uid: $uid, gid: 4, mode: "2750"},
      {path: "/var/cache/tomcat10", role: "work", uid: $uid, gid: $gid, mode: "0750"}],
    exclude: ([
      {path: ($jh + "/lib/libawt_xawt.so"), reason: "X11 toolkit: not loadable with java.awt.headless=true"},
      {path: ($jh + "/lib/libjawt.so"), reason: "AWT native interface: not loadable headless"},
      {path: ($jh + "/lib/libsplashscreen.so"), reason: "splash screen: not loadable headless"},
      {path: ($jh + "/lib/libjsound.so"), reason: "javax.sound: no sound device on a server"},
      {path: ($jh + "/lib/libatk-wrapper.so"), reason: "GTK accessibility bridge: not loadable headless"},
      {path: ($jh + "/lib/src.zip"), reason: "sources"},
      {path: ($jh + "/lib/ct.sym"), reason: "javac --release data"},
      {path: ($jh + "/lib/server/classes_nocoops.jsa"), reason: "CDS archive for heaps of 32 GB and more"},
      {path: ($jh + "/jmods"), reason: "jlink input, not used at run time"},
      {path: ($jh + "/docs"), reason: "documentation"},
      {path: ($jh + "/man"), reason: "manual pages"},
      {path: ($jh + "/include"), reason: "C headers"},
      {path: ($jh + "/lib/jrt-fs.jar"), reason: "jrt:/ for the tools of another JDK"},
      {path: ($jh + "/lib/classlist"), reason: "read only by -Xshare:dump"},
      {path: ($jh + "/lib/jexec"), reason: "binfmt_misc launcher for jars"},
      {path: ($jh + "/lib/jar.binfmt"), reason: "binfmt_misc registration of jexec"},
      {path: ($jh + "/lib/libsaproc.so"), reason: "serviceability agent of jhsdb"},
      {path: ($jh + "/lib/libj2pcsc.so"), reason: "javax.smartcardio: no card reader"},
      {path: ($jh + "/lib/libjdwp.so"), reason: "JDWP debugger: no -agentlib:jdwp"},
      {path: ($jh + "/lib/libdt_socket.so"), reason: "JDWP socket transport: no -agentlib:jdwp"}]
    + [("jar","jarsigner","javac","javadoc","javap","jdeprscan","jdeps","jimage","jlink","jmod","jpackage",
        "jshell","serialver","jrunscript","jconsole","jdb","jhsdb","jstatd","jfr")
       | {path: ($jh + "/bin/" + .), reason: "JDK development tool"}])
  }' > "$out"
}
