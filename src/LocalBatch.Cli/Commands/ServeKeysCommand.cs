using System.CommandLine;
using LocalBatch.Server;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// <c>localbatch serve keys add NAME [--keys FILE] [--admin]</c>: adds a new random key to a keys file (made when
/// missing) and prints it once, on stdout alone so that it can be piped; the file keeps only its SHA-256. A running
/// <c>serve --keys FILE</c> takes it from its next request on.
/// </summary>
internal static class ServeKeysCommand
{
    /// <summary>The default keys file, beside the default store.</summary>
    public const string DefaultKeysFile = "localbatch-keys.json";

    /// <summary>The <c>--keys</c> option.</summary>
    public static Option<string?> KeysFileOption(string description) => new("--keys") { Description = description };

    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The key's name: the owner of what it uploads and creates (1-64 characters)." };
        var keys = new Option<string>("--keys") { Description = "The keys file to add it to; made when missing.", DefaultValueFactory = _ => DefaultKeysFile };
        var admin = new Option<bool>("--admin") { Description = "An admin key: sees and acts on every file and batch, whoever owns it." };
        var add = new Command("add", "Add a new random key to a keys file and print it once (the file keeps only its hash).") { name, keys, admin };
        add.SetAction(async (parsed, cancellationToken) =>
        {
            var path = parsed.GetValue(keys)!;
            string key;
            try
            {
                key = await ApiKeysFile.AddKeyAsync(path, parsed.GetValue(name)!, parsed.GetValue(admin), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException)
            {
                throw new CliUsageException(ex.Message, ex);
            }

            await context.Out.WriteLineAsync(key).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"localbatch: added the key '{parsed.GetValue(name)}'{(parsed.GetValue(admin) ? " (admin)" : string.Empty)} to {Path.GetFullPath(path)}; it is shown this once: only its hash is kept.").ConfigureAwait(false);
            return ExitCodes.Success;
        });

        return new Command("keys", "Manage the keys file of `serve --keys`.") { add };
    }
}
