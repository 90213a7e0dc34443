// Why this file exists: DynamoDB Local has no option for the address it listens on, and it binds
// every interface with no authentication, so anyone on the network could read and write the local
// tables (one did make itself an administrator). This launcher builds the server exactly as
// `java -jar DynamoDBLocal.jar <args>` does, then points its Jetty connector(s) at 127.0.0.1 before
// they bind. It refuses to start at all if it cannot find a connector to restrict.
//
// It also ends with the process that started it: standard input is that process's pipe, and when
// it reads end-of-file (the parent exited, even by SIGKILL, and the OS closed its end) the server
// stops and the JVM exits, so no orphan keeps the port and the data directory. Run by hand, keep
// standard input open (a terminal is; `</dev/null` is not). Once bound it prints
// `LoopbackDynamoDbLocal listening on 127.0.0.1:<port>` on standard output: the caller counts the
// server as its own only after that line.
//
// Run with Java's single-file source launcher (no JDK needed, only the jdk.compiler module):
//   java -Djava.library.path=<lib> -cp <DynamoDBLocal.jar>:<DynamoDBLocal_lib/*> LoopbackDynamoDbLocal.java <args>

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDbLocal {
  private static final String LOOPBACK = "127.0.0.1";

  /** Set once the server is built, so that the watchdog can stop it. */
  private static volatile DynamoDBProxyServer running;

  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    // First of all: a parent that is already gone must not leave a server behind.
    watchParent(System.in);

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);

    // The Jetty server is a private field built with `new Server(port)`, whose one connector has no
    // host (= all interfaces); reflection is the only way in. Classpath classes live in the unnamed
    // module, so setAccessible needs no --add-opens.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);

    int restricted = 0;
    for (Connector connector : server.getConnectors()) {
      if (!(connector instanceof ServerConnector serverConnector)) {
        throw new IllegalStateException(
            "Unexpected Jetty connector " + connector.getClass().getName() + "; refusing to start");
      }
      serverConnector.setHost(LOOPBACK);
      restricted++;
    }
    if (restricted == 0) {
      throw new IllegalStateException("DynamoDB Local has no Jetty connector to restrict; refusing to start");
    }

    running = proxy;
    // safeStart() is Jetty's start() and lets a bind failure end this process with an error;
    // start() would print it, stop the server and exit 0. Telemetry is skipped on purpose (the
    // caller passes -disableTelemetry too).
    proxy.safeStart();

    // Bound: say so, with the port the kernel gave us, so the caller knows it is this process that
    // answers on that port (and not another DynamoDB Local that held it already).
    for (Connector connector : server.getConnectors()) {
      System.out.println("LoopbackDynamoDbLocal listening on " + LOOPBACK + ":"
          + ((ServerConnector) connector).getLocalPort());
    }
    System.out.flush();
    proxy.join();
  }

  /** Stops the server and exits once `in` (the parent's pipe) reaches end-of-file. */
  private static void watchParent(InputStream in) {
    Thread watchdog = new Thread(() -> {
      byte[] buffer = new byte[256];
      try {
        while (in.read(buffer) >= 0) {
          // Whatever the parent writes is ignored; only the end of the stream matters.
        }
      } catch (IOException e) {
        // A broken pipe is the parent going away too.
      }
      System.err.println("LoopbackDynamoDbLocal: standard input closed (the parent process is gone); stopping");
      // Should stopping hang, do not stay around for it.
      Thread halt = new Thread(() -> {
        try {
          Thread.sleep(5_000);
        } catch (InterruptedException e) {
          // Halting now is fine too.
        }
        Runtime.getRuntime().halt(1);
      }, "loopback-dynamodb-local-halt");
      halt.setDaemon(true);
      halt.start();
      try {
        DynamoDBProxyServer proxy = running;
        if (proxy != null) proxy.stop();
      } catch (Exception e) {
        System.err.println("LoopbackDynamoDbLocal: stopping failed: " + e);
      }
      System.exit(0);
    }, "loopback-dynamodb-local-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
