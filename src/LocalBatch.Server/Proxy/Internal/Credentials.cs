namespace LocalBatch.Server.Proxy.Internal;

/// <summary>
/// Which of a client's header and query parameter names carry a credential, so that none of the client's keys reaches
/// the gateway whatever it is called: <c>Authorization</c>, <c>Proxy-Authorization</c>, <c>Cookie</c>, and every name
/// with <c>auth</c>, <c>key</c>, <c>token</c>, <c>secret</c>, <c>password</c> or <c>credential</c> in it, in any case
/// and with <c>-</c> or <c>_</c> anywhere (<c>X-Api-Key</c>, <c>api-key</c>, <c>OpenAI-Api-Key</c>, <c>X-Goog-Api-Key</c>,
/// <c>?api_key=</c>, <c>?key=</c>, <c>?access_token=</c>, …).
/// </summary>
internal static class Credentials
{
    private static readonly string[] Parts = ["auth", "key", "token", "secret", "password", "passwd", "credential", "cookie", "session"];

    /// <summary>Whether a header or query parameter of this name is taken for a credential.</summary>
    public static bool IsCredential(string name)
    {
        foreach (var part in Parts)
        {
            if (name.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal)
                .Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
