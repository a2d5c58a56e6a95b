using System.Text;

namespace LocalBatch.Server.Tests.Support;

/// <summary>A writer whose text can be waited for.</summary>
internal sealed class SignallingWriter : StringWriter
{
    private readonly Lock _gate = new();
    private readonly List<(string Text, TaskCompletionSource<string> Signal)> _waiters = [];

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return ToString();
            }
        }
    }

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
            Signal();
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            base.Write(value);
            Signal();
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        lock (_gate)
        {
            base.Write(value + NewLine);
            Signal();
        }

        return Task.CompletedTask;
    }

    public Task<string> WaitForAsync(string text)
    {
        var signal = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((text, signal));
            Signal();
        }

        return signal.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private void Signal()
    {
        var all = ToString();
        foreach (var (text, signal) in _waiters)
        {
            if (all.Contains(text, StringComparison.Ordinal))
            {
                signal.TrySetResult(all);
            }
        }
    }
}
