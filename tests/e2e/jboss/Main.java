// A stand-in for WildFly's org.jboss.as.standalone module, for tests/e2e/jboss_analyze_live.sh.
// Run by Debian's real jboss-modules with the command line bin/standalone.sh builds, it handles
// the server arguments as org.jboss.as.server.Main does (-Dname=value, -b, -bNAME, -c,
// --server-config, --properties) and opens the sockets the configuration's socket-binding group gives the
// http and https listeners and the management http interface: ${name:default}, ${a,b:default},
// ${env.VAR:default} and the port offset resolved like WildFly, on the interface's address.
package org.jboss.as.standalone;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class Main {
    public static void main(String[] args) throws Exception {
        String config = "standalone.xml";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("-D")) {
                int eq = a.indexOf('=');
                if (eq < 0) {
                    System.setProperty(a.substring(2), "true");
                } else {
                    System.setProperty(a.substring(2, eq), a.substring(eq + 1));
                }
            } else if (a.equals("-c") || a.equals("--server-config")) {
                config = args[++i];
            } else if (a.startsWith("-c=") || a.startsWith("--server-config=")) {
                config = a.substring(a.indexOf('=') + 1);
            } else if (a.equals("--properties") || a.startsWith("--properties=")) {
                String file = a.contains("=") ? a.substring(a.indexOf('=') + 1) : args[++i];
                java.util.Properties properties = new java.util.Properties();
                try (java.io.Reader reader = Files.newBufferedReader(Paths.get(file))) {
                    properties.load(reader);
                }
                for (String name : properties.stringPropertyNames()) {
                    System.setProperty(name, properties.getProperty(name));
                }
            } else if (a.startsWith("-b")) {
                int eq = a.indexOf('=');
                String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
                String value = eq < 0 ? args[++i] : a.substring(eq + 1);
                System.setProperty(name.isEmpty() ? "jboss.bind.address" : "jboss.bind.address." + name, value);
            }
        }
        String home = System.getProperty("jboss.home.dir");
        String base = System.getProperty("jboss.server.base.dir", home + "/standalone");
        String text = new String(Files.readAllBytes(Paths.get(base, "configuration", config)), StandardCharsets.UTF_8);

        Map<String, String> interfaces = new HashMap<>();
        Matcher m = Pattern.compile("<interface name=\"([^\"]+)\">\\s*<inet-address value=\"([^\"]+)\"").matcher(text);
        while (m.find()) {
            interfaces.put(m.group(1), resolve(m.group(2)));
        }
        m = Pattern.compile("<socket-binding-group [^>]*default-interface=\"([^\"]+)\"[^>]*port-offset=\"([^\"]+)\"").matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no socket-binding-group in " + config);
        }
        String defaultInterface = m.group(1);
        int offset = Integer.parseInt(resolve(m.group(2)).trim());
        List<ServerSocket> open = new ArrayList<>();
        for (String name : new String[] {"http", "https", "management-http"}) {
            m = Pattern.compile("<socket-binding name=\"" + Pattern.quote(name) + "\"([^>]*)/>").matcher(text);
            if (!m.find()) {
                continue;
            }
            String attrs = m.group(1);
            Matcher iface = Pattern.compile("interface=\"([^\"]+)\"").matcher(attrs);
            Matcher port = Pattern.compile("port=\"([^\"]+)\"").matcher(attrs);
            port.find();
            String address = interfaces.get(iface.find() ? iface.group(1) : defaultInterface);
            int number = Integer.parseInt(resolve(port.group(1)).trim()) + offset;
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), number));
            open.add(socket);
            System.out.println("listening " + name + " " + address + ":" + number);
        }
        System.out.println("READY " + open.size());
        System.out.flush();
        while (true) {
            Thread.sleep(60000);
        }
    }

    // ${a,b:default} with nesting; env.NAME reads the environment.
    static String resolve(String text) {
        int open = text.lastIndexOf("${");
        if (open < 0) {
            return text;
        }
        int close = text.indexOf('}', open);
        String inner = text.substring(open + 2, close);
        int colon = inner.indexOf(':');
        String names = colon < 0 ? inner : inner.substring(0, colon);
        String value = colon < 0 ? null : inner.substring(colon + 1);
        for (String name : names.split(",")) {
            String found = name.startsWith("env.") ? System.getenv(name.substring(4)) : System.getProperty(name);
            if (found != null) {
                value = found;
                break;
            }
        }
        if (value == null) {
            throw new IllegalArgumentException("undefined: " + inner);
        }
        return resolve(text.substring(0, open) + value + text.substring(close + 1));
    }
}
