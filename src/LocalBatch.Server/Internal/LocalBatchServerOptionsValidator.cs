using LocalBatch.Server.Keys.Internal;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Checks a <see cref="LocalBatchServerOptions"/> and reports every problem at once: its data annotations through the
/// source-generated validator, then the rules an annotation cannot say. Keys are never quoted in a message.
/// </summary>
internal sealed partial class LocalBatchServerOptionsValidator : IValidateOptions<LocalBatchServerOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalBatchServerOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(new Annotations().Validate(name, options));
        if (options.Gateway is { } gateway && (!gateway.IsAbsoluteUri || (gateway.Scheme != Uri.UriSchemeHttp && gateway.Scheme != Uri.UriSchemeHttps)))
        {
            builder.AddError($"LocalBatchServerOptions.Gateway must be an absolute http or https address; got '{gateway}'.");
        }

        if (options.Retention is { } retention && retention <= TimeSpan.Zero)
        {
            builder.AddError($"LocalBatchServerOptions.Retention must be positive, or null to keep everything until deleted; got {retention}.");
        }

        if (options.ApiKey is { } key && string.IsNullOrWhiteSpace(key))
        {
            builder.AddError("LocalBatchServerOptions.ApiKey must not be empty or blank; leave it null for no key.");
        }

        if (options.GatewayApiKey is { } gatewayKey && string.IsNullOrWhiteSpace(gatewayKey))
        {
            builder.AddError("LocalBatchServerOptions.GatewayApiKey must not be empty or blank; leave it null for no key.");
        }

        if (options.KeysFile is { } keysFile)
        {
            if (string.IsNullOrWhiteSpace(keysFile))
            {
                builder.AddError("LocalBatchServerOptions.KeysFile must not be empty or blank; leave it null for no keys file.");
            }
            else if (!File.Exists(keysFile))
            {
                builder.AddError($"LocalBatchServerOptions.KeysFile: there is no keys file {Path.GetFullPath(keysFile)}; create it with 'localbatch serve keys add NAME --keys {keysFile}'.");
            }
            else
            {
                try
                {
                    ApiKeySet.Read(keysFile);
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    builder.AddError("LocalBatchServerOptions.KeysFile: " + ex.Message);
                }
            }
        }

        return builder.Build();
    }

    // The generated validator words a [Range] failure its own way ("The field X must be between A and B."): its
    // copy of the attribute ignores ErrorMessage.
    [OptionsValidator]
    internal sealed partial class Annotations : IValidateOptions<LocalBatchServerOptions>;
}
