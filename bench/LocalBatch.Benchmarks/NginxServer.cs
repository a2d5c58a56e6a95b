using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LocalBatch.Benchmarks;

/// <summary>
/// nginx (Debian's package) as a zero-latency llama.cpp stand-in in a process of its own: a generated configuration
/// on 127.0.0.1 and a free port, one worker, keep-alive without a request limit, a fixed completion answer at
/// <c>/v1/completions</c> and <c>/props</c> with <c>total_slots</c>. Nothing of it outlives the benchmark.
/// </summary>
internal static class NginxServer
{
    /// <summary>How to get it, for the message shown when it is missing.</summary>
    public const string InstallHint = "Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y nginx (the benchmark starts and stops it itself)";

    /// <summary>The nginx executable on PATH or in /usr/sbin (where Debian puts it, off a user's PATH), or null.</summary>
    public static string? Find()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories.Append("/usr/sbin").Select(directory => Path.Combine(directory, "nginx")).FirstOrDefault(File.Exists);
    }

    /// <summary>Starts nginx and returns once it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">nginx exited at start (its error log is in the message).</exception>
    public static async Task<ChildServer> StartAsync(string nginx, int slots)
    {
        for (var attempt = 1; ; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("localbatch-bench-nginx-").FullName;
            var port = FreePort();
            var configuration = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(configuration, Configuration(directory, port, slots));
            var errorLog = Path.Combine(directory, "error.log");
            var process = Process.Start(new ProcessStartInfo(nginx, ["-p", directory, "-e", errorLog, "-c", configuration]))!;
            var endpoint = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
            if (await AcceptsAsync(process, port))
            {
                return new ChildServer(process, endpoint, $"nginx {Version(nginx)}, 1 worker", directory);
            }

            var log = File.Exists(errorLog) ? await File.ReadAllTextAsync(errorLog) : "(no error log)";
            new ChildServer(process, endpoint, "nginx", directory).Dispose();
            if (attempt == 3 || !log.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"nginx did not start: {log}");
            }

            // Another process took the port between our look and nginx's bind: try another.
        }
    }

    private static string Configuration(string directory, int port, int slots)
    {
        var answer = Encoding.UTF8.GetString(OverheadBenchmark.Answer);
        var props = string.Create(CultureInfo.InvariantCulture, $$$"""{"total_slots":{{{slots}}},"model_path":"tiny.gguf","default_generation_settings":{"n_ctx":4096}}""");
        return string.Create(CultureInfo.InvariantCulture, $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                keepalive_requests 100000000;
                keepalive_timeout 300s;
                server {
                    listen 127.0.0.1:{{port}};
                    default_type application/json;
                    location = /v1/completions { return 200 '{{answer}}'; }
                    location = /props { return 200 '{{props}}'; }
                    location = /health { return 200 '{"status":"ok"}'; }
                }
            }
            """);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until nginx accepts a connection (true) or has exited (false).</summary>
    private static async Task<bool> AcceptsAsync(Process process, int port)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(20); // not listening yet
            }
        }

        return false;
    }

    private static string Version(string nginx)
    {
        // nginx -v writes "nginx version: nginx/1.22.1" to stderr.
        using var process = Process.Start(new ProcessStartInfo(nginx, ["-v"]) { RedirectStandardError = true })!;
        var text = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "?" : text[(slash + 1)..].Trim();
    }
}
