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
// With -dbPath it also makes every write durable before it is acknowledged: DynamoDB Local answers
// a TransactWriteItems before its SQLite COMMIT has run (see commitBeforeAnswering below and
// docs/decisions.md, "DynamoDB Local acknowledged transactions before committing them").
//
// Run with Java's single-file source launcher (no JDK needed, only the jdk.compiler module):
//   java -Djava.library.path=<lib> -cp <DynamoDBLocal.jar>:<DynamoDBLocal_lib/*> LoopbackDynamoDbLocal.java <args>

import com.almworks.sqlite4java.SQLiteJob;
import com.almworks.sqlite4java.SQLiteQueue;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.AbstractLocalDynamoDBServerHandler;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBRequestHandler;
import software.amazon.dynamodb.services.local.shared.access.LocalDBClient;
import software.amazon.dynamodb.services.local.shared.access.sqlite.SQLiteDBAccess;

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

    commitBeforeAnswering(proxy);

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

  /**
   * Makes DynamoDB Local run every SQLite job to its end before the request that queued it answers.
   *
   * All its database work goes through one sqlite4java SQLiteQueue (a single thread, jobs in order)
   * held in SQLiteDBAccess's `queue` field, and its callers wait for each job's result, except
   * SQLiteDBAccess.commitTransaction and rollbackTransaction (TransactWriteItems, ExecuteTransaction):
   * they queue the COMMIT (or ROLLBACK) and return at once, so the answer can leave before the commit
   * is on disk, and a SIGKILL then loses an acknowledged transaction (the SQLite journal rolls it
   * back on the next open). Readers never noticed, since their jobs queue behind the COMMIT.
   *
   * The database is opened here, before the port is bound (DynamoDB Local would open it on the first
   * request), and its queue swapped for one whose execute() waits for the job. In memory nothing
   * survives a kill anyway, so nothing changes there.
   */
  private static void commitBeforeAnswering(DynamoDBProxyServer proxy) throws Exception {
    Object serverHandler = field(DynamoDBProxyServer.class, "serverHandler").get(proxy);
    Object primary = field(AbstractLocalDynamoDBServerHandler.class, "primaryHandler").get(serverHandler);
    if (!(primary instanceof LocalDynamoDBRequestHandler handler)) {
      throw new IllegalStateException("Unexpected DynamoDB Local request handler "
          + (primary == null ? "null" : primary.getClass().getName()) + "; refusing to start");
    }
    if ((boolean) field(LocalDynamoDBRequestHandler.class, "runInMemory").get(handler)) return;
    // Without -sharedDb there is a database per access key and region, opened on first use: this
    // could not reach them ahead of time, so it insists on the one shared database.
    if (!(boolean) field(LocalDynamoDBRequestHandler.class, "sharedDb").get(handler)) {
      throw new IllegalStateException("-dbPath needs -sharedDb here (see commitBeforeAnswering); refusing to start");
    }
    // The one database of -sharedDb, whatever the credentials (the key is fixed).
    Method getHandler = LocalDynamoDBRequestHandler.class.getDeclaredMethod("getHandler", String.class);
    getHandler.setAccessible(true);
    Object client = getHandler.invoke(handler, "");
    Object access = field(LocalDBClient.class, "dbAccess").get(client);
    if (!(access instanceof SQLiteDBAccess)) {
      throw new IllegalStateException("Unexpected DynamoDB Local storage "
          + (access == null ? "null" : access.getClass().getName()) + "; refusing to start");
    }
    Field queueField = field(SQLiteDBAccess.class, "queue");
    SQLiteQueue original = (SQLiteQueue) queueField.get(access);
    File database = original.getDatabaseFile();
    if (database == null) throw new IllegalStateException("DynamoDB Local opened no database file; refusing to start");
    // Nothing else uses the database yet (no request can arrive before the port is bound): finish
    // what it queued while opening, close it, and reopen the same file behind the waiting queue.
    original.stop(true).join();
    queueField.set(access, new WaitingQueue(database).start());
  }

  /** An SQLiteQueue whose execute() returns only once the job has run (or failed, or was cancelled). */
  private static final class WaitingQueue extends SQLiteQueue {
    WaitingQueue(File database) {
      super(database);
    }

    @Override
    public <T, J extends SQLiteJob<T>> J execute(J job) {
      J queued = super.execute(job);
      // A job that queues another from the database thread cannot wait for it (it runs after).
      if (!isDatabaseThread()) {
        try {
          queued.get();
        } catch (ExecutionException e) {
          // The caller reads the outcome itself (get()), or ignored it before too: not ours to report.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return queued;
    }
  }

  private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
    Field field = owner.getDeclaredField(name);
    field.setAccessible(true);
    return field;
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
