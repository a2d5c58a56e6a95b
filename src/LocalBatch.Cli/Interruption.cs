using System.Runtime.InteropServices;

namespace LocalBatch.Cli;

/// <summary>
/// Ctrl+C and SIGTERM as the tool handles them. The first stops the work (<see cref="Token"/>); one that comes while
/// results are being copied abandons that copy (<see cref="BeginPublishing"/>). Either way the command ends itself, with
/// its own exit code and resume hint, however long that takes: the runtime's default handling (ending the process) and
/// System.CommandLine's (giving up after two seconds, exit 130) are both kept out. A third signal ends the process at once,
/// as a kill would: nothing is lost, the next run resumes.
/// </summary>
internal sealed class Interruption : IDisposable
{
    /// <summary>Signals handled before one is left to the runtime's default (ending the process at once).</summary>
    public const int HandledSignals = 2;

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private CancellationTokenRegistration _tokenRegistration;
    private CancellationTokenSource? _publishing;
    private int _signals;

    /// <summary>Gets a token cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>An interruption raised by this process's Ctrl+C, SIGINT, SIGQUIT and SIGTERM.</summary>
    public static Interruption FromProcessSignals()
    {
        var interruption = new Interruption();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGTERM })
        {
            try
            {
                interruption._registrations.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = interruption.Signal()));
            }
            catch (PlatformNotSupportedException)
            {
                // A platform without that signal: the runtime's default handling stays for it.
            }
        }

        return interruption;
    }

    /// <summary>An interruption raised when <paramref name="cancellationToken"/> is cancelled (in-process callers and tests).</summary>
    public static Interruption From(CancellationToken cancellationToken)
    {
        var interruption = new Interruption();
        interruption._tokenRegistration = cancellationToken.Register(static state => ((Interruption)state!).Signal(), interruption);
        return interruption;
    }

    /// <summary>Records a signal: stops the work and abandons a copy under way.</summary>
    /// <returns><see langword="true"/> when the signal is handled here; <see langword="false"/> to let it end the process.</returns>
    public bool Signal()
    {
        CancellationTokenSource? publishing;
        lock (_gate)
        {
            if (++_signals > HandledSignals)
            {
                return false;
            }

            publishing = _publishing;
        }

        _stop.Cancel();
        publishing?.Cancel();
        return true;
    }

    /// <summary>Starts copying results out: the token returned is cancelled by the next signal (not by an earlier one).</summary>
    public CancellationToken BeginPublishing()
    {
        lock (_gate)
        {
            _publishing?.Dispose();
            _publishing = new CancellationTokenSource();
            return _publishing.Token;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _tokenRegistration.Dispose();
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        lock (_gate)
        {
            _publishing?.Dispose();
            _publishing = null;
        }

        _stop.Dispose();
    }
}
