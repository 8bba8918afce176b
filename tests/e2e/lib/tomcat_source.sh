# Starts Debian's tomcat10 instance as the tomcat user with the command line of its systemd unit
# (no systemd here), unless one already runs. Sets SOURCE_PID, and STARTED_SOURCE=1 when this
# script started it (then stop_tomcat_source stops exactly that PID).
#   start_tomcat_source LOGFILE   -> 0 when it answers on 8080, 77 when 8080 is taken by another
find_tomcat_source() {
  local pid
  for pid in $(pgrep -u tomcat -f 'org.apache.catalina.startup.Bootstrap' || true); do
    # Only one in this network namespace is the source (an image run in its own namespaces is not).
    [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ] || continue
    if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- '-Dcatalina.base=/var/lib/tomcat10'; then
      echo "$pid"; return 0
    fi
  done
  return 1
}

# Closes every descriptor above 2 of the calling (sub)shell: a server started from a test must
# not hold ctest's log files open, or its analysis lists them as files the application uses.
close_inherited_fds() {
  local fd
  for fd in $(ls /proc/$BASHPID/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}

start_tomcat_source() {
  local log="$1" java_home
  STARTED_SOURCE=0
  if SOURCE_PID="$(find_tomcat_source)"; then
    echo "using the running tomcat10, PID $SOURCE_PID"
    return 0
  fi
  if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "SKIP: port 8080 is taken by something that is not Debian's tomcat10"
    return 77
  fi
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  mkdir -p /var/cache/tomcat10 && chown tomcat:tomcat /var/cache/tomcat10
  (close_inherited_fds; cd /var/lib/tomcat10 && exec setpriv --reuid tomcat --regid tomcat --init-groups env -i \
      PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 JAVA_HOME="$java_home" \
      CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE=/var/lib/tomcat10 \
      "$java_home/bin/java" \
      -Djava.util.logging.config.file=/var/lib/tomcat10/conf/logging.properties \
      -Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager -Djava.awt.headless=true \
      -classpath /usr/share/tomcat10/bin/bootstrap.jar:/usr/share/tomcat10/bin/tomcat-juli.jar \
      -Dcatalina.base=/var/lib/tomcat10 -Dcatalina.home=/usr/share/tomcat10 -Djava.io.tmpdir=/tmp \
      org.apache.catalina.startup.Bootstrap start) > "$log" 2>&1 &
  SOURCE_PID=$!
  STARTED_SOURCE=1
  local i
  for i in $(seq 240); do
    curl -s -o /dev/null --max-time 2 http://127.0.0.1:8080/ && { echo "started tomcat10, PID $SOURCE_PID"; return 0; }
    kill -0 "$SOURCE_PID" 2>/dev/null || { echo "tomcat10 exited:"; tail -20 "$log"; return 1; }
    sleep 1
  done
  echo "tomcat10 did not answer on 8080 within 240 s"; return 1
}

stop_tomcat_source() {
  if [ "${STARTED_SOURCE:-0}" = 1 ] && kill -0 "$SOURCE_PID" 2>/dev/null; then
    kill "$SOURCE_PID"
    for _ in $(seq 30); do kill -0 "$SOURCE_PID" 2>/dev/null || return 0; sleep 1; done
    kill -9 "$SOURCE_PID" 2>/dev/null || true
  fi
}
