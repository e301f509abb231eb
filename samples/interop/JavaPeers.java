// Minimal Java peers for checking Ocean's writeUTF samples against the real DataInputStream/DataOutputStream.
// Run with the JDK's single-file launcher:
//   java samples/interop/JavaPeers.java server PORT            (echoes every readUTF until EOF, per connection)
//   java samples/interop/JavaPeers.java client HOST PORT TEXT  (writeUTF, readUTF, prints "received: ...")
import java.io.*;
import java.net.*;

public class JavaPeers {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("server")) {
            try (ServerSocket listener = new ServerSocket(Integer.parseInt(args[1]), 50, InetAddress.getLoopbackAddress())) {
                System.out.println("listening on 127.0.0.1:" + listener.getLocalPort());
                while (true) {
                    Socket socket = listener.accept();
                    new Thread(() -> echo(socket)).start();
                }
            }
        }

        try (Socket socket = new Socket(args[1], Integer.parseInt(args[2]))) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.writeUTF(args[3]);
            String reply = in.readUTF();
            System.out.println("received: " + reply);
            System.exit(reply.equals(args[3]) ? 0 : 1);
        }
    }

    private static void echo(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (true) {
                out.writeUTF(in.readUTF());
            }
        } catch (EOFException done) {
            // the client closed
        } catch (IOException e) {
            System.out.println("IO: " + e.getMessage());
        }
    }
}
