package dev.reconciler.core.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small file system mounted for one test, to fill up or turn read-only: a tmpfs of a given size, or an ext4
 * image on a loop device mounted with {@code errors=remount-ro} (turned read-only the way the kernel does it after
 * a disk error, through ext4's {@code trigger_fs_error}). Needs root; a test is skipped with a clear message
 * where mounting is refused. {@link #close()} unmounts and removes everything.
 */
public final class SmallFileSystem implements AutoCloseable {
    private final Path mountPoint;
    private final Path image;
    private final Path filler;
    private boolean mounted;

    private SmallFileSystem(Path mountPoint, Path image) {
        this.mountPoint = mountPoint;
        this.image = image;
        this.filler = mountPoint.resolve("filler");
        this.mounted = true;
    }

    /** A tmpfs of {@code megabytes} MiB; skips the test if the mount is refused (not root). */
    public static SmallFileSystem tmpfs(int megabytes) throws IOException {
        Path dir = Files.createTempDirectory("reconciler-tmpfs-");
        Result r = run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", dir.toString());
        if (r.code != 0) {
            Files.deleteIfExists(dir);
            Assumptions.abort("cannot mount a tmpfs (needs root): " + r.output);
        }
        return new SmallFileSystem(dir, null);
    }

    /** An ext4 file system of {@code megabytes} MiB on a loop device, mounted with errors=remount-ro. */
    public static SmallFileSystem ext4(int megabytes) throws IOException {
        Path img = Files.createTempFile("reconciler-ext4-", ".img");
        Path dir = Files.createTempDirectory("reconciler-ext4-");
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((long) megabytes << 20);
        }
        Result mk = run("mkfs.ext4", "-q", "-F", img.toString());
        Result r = mk.code != 0 ? mk
                : run("mount", "-o", "loop,errors=remount-ro", img.toString(), dir.toString());
        if (r.code != 0) {
            Files.deleteIfExists(img);
            Files.deleteIfExists(dir);
            Assumptions.abort("cannot mount an ext4 image on a loop device (needs root): " + r.output);
        }
        return new SmallFileSystem(dir, img);
    }

    public Path path() {
        return mountPoint;
    }

    /** Fills the file system up with a file, until a write fails for lack of space. */
    public void fill() throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) out.write(chunk);
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
        }
    }

    /** Removes the file {@link #fill()} wrote. */
    public void free() throws IOException {
        Files.deleteIfExists(filler);
    }

    /** Turns the ext4 file system read-only as the kernel does after an error (emergency read-only). */
    public void failReadOnly() throws IOException {
        if (image == null) throw new IllegalStateException("only an ext4 file system can be failed read-only");
        String dev = null;
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1 && f[1].equals(mountPoint.toString())) dev = f[0];
        }
        if (dev == null) throw new IllegalStateException(mountPoint + " is not mounted");
        Files.writeString(Path.of("/sys/fs/ext4", Path.of(dev).getFileName().toString(), "trigger_fs_error"), "1");
    }

    /**
     * Unmounts the ext4 file system turned read-only and mounts it again, writable, at the same place: what an
     * operator does after checking it. Call it once nothing has files open in it (the process stopped).
     */
    public void remount() throws IOException {
        if (image == null) throw new IllegalStateException("only an ext4 file system is remounted");
        Result u = run("umount", mountPoint.toString());
        if (u.code != 0) throw new IOException("umount " + mountPoint + ": " + u.output);
        Result fsck = run("e2fsck", "-f", "-y", image.toString());
        if (fsck.code > 2) throw new IOException("e2fsck: " + fsck.output);
        Result m = run("mount", "-o", "loop,errors=remount-ro", image.toString(), mountPoint.toString());
        if (m.code != 0) throw new IOException("mount " + image + ": " + m.output);
    }

    /** Unmounts (lazily, if files are still open) and removes the mount point and the image. */
    @Override
    public void close() throws IOException {
        if (!mounted) return;
        mounted = false;
        Result r = run("umount", mountPoint.toString());
        if (r.code != 0) run("umount", "-l", mountPoint.toString());
        Files.deleteIfExists(mountPoint);
        if (image != null) Files.deleteIfExists(image);
    }

    private record Result(int code, String output) {
    }

    private static Result run(String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + " timed out");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes()).trim());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
