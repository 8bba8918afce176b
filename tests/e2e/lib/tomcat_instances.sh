# Tomcat instances made with tomcat10-instance-create, for the live e2e tests: started with
# catalina.sh run as user tomcat (as the systemd unit's tomcat-start.sh does; setpriv execs, so
# the PID is the JVM's), awaited on their HTTP port, and stopped by PID, only those started here.
# Needs W (the test's work directory) and fail() from the caller.
#   start_instance NAME [VAR=VALUE ...]   catalina.sh run in $W/NAME; JAVA_OPTS etc. as arguments
#   wait_instance NAME PORT PID           until PORT answers (240 s), or fail
#   stop_instances                        kills what start_instance started (in the EXIT trap)
. "$(dirname "${BASH_SOURCE[0]}")/tomcat_source.sh" # close_inherited_fds
INSTANCE_PIDS=()
INSTANCE_JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_instance() {
  local name="$1" dir="$W/$1"
  shift
  chown -R tomcat:tomcat "$dir"
  (close_inherited_fds; cd "$dir" && exec setpriv --reuid tomcat --regid tomcat --init-groups env -i \
      PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 JAVA_HOME="$INSTANCE_JAVA_HOME" \
      CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE="$dir" CATALINA_TMPDIR="$dir/temp" "$@" \
      /usr/share/tomcat10/bin/catalina.sh run) > "$W/$name.log" 2>&1 &
  INSTANCE_PIDS+=($!)
}

wait_instance() {
  local name="$1" port="$2" pid="$3" i
  for i in $(seq 240); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && break
    kill -0 "$pid" 2>/dev/null || { tail -20 "$W/$name.log"; fail "instance $name exited"; }
    [ "$i" = 240 ] && { tail -20 "$W/$name.log"; fail "instance $name did not answer on $port within 240 s"; }
    sleep 1
  done
  echo "instance $name answers on $port (PID $pid)"
}

stop_instances() {
  local pid
  for pid in "${INSTANCE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null
  done
}
