// Why this file exists: DynamoDB Local has no option for the address it listens on, and it binds
// every interface with no authentication, so anyone on the network could read and write the local
// tables (one did make itself an administrator). This launcher builds the server exactly as
// `java -jar DynamoDBLocal.jar <args>` does, then points its Jetty connector(s) at 127.0.0.1 before
// they bind. It refuses to start at all if it cannot find a connector to restrict.
//
// Run with Java's single-file source launcher (no JDK needed, only the jdk.compiler module):
//   java -Djava.library.path=<lib> -cp <DynamoDBLocal.jar>:<DynamoDBLocal_lib/*> LoopbackDynamoDbLocal.java <args>

import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDbLocal {
  private static final String LOOPBACK = "127.0.0.1";

  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
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

    // safeStart() is Jetty's start() and lets a bind failure end this process with an error;
    // start() would print it, stop the server and exit 0. Telemetry is skipped on purpose (the
    // caller passes -disableTelemetry too).
    proxy.safeStart();
    proxy.join();
  }
}
