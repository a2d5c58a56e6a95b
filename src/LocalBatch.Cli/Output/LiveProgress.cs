using Spectre.Console;
using Spectre.Console.Rendering;

namespace LocalBatch.Cli.Output;

/// <summary>
/// The progress display on a terminal: Spectre.Console's live progress with one line for the batch and one for each
/// server when there are several, each fitted to the terminal's width at every redraw (<see cref="ProgressLine"/>), so
/// that nothing wraps, even after the window is resized. It is redrawn when progress is reported, not on a timer.
/// </summary>
internal static class LiveProgress
{
    /// <summary>Runs <paramref name="work"/> under the live display.</summary>
    public static Task<T> RunAsync<T>(IAnsiConsole console, Func<IProgress<BatchProgress>?, Task<T>> work) =>
        console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new LineColumn(console.Profile.Capabilities.Unicode))
            .StartAsync(context => work(new Reporter(context)));

    /// <summary>Feeds the display: the batch's row, and a row for each server once there are several.</summary>
    private sealed class Reporter(ProgressContext context) : IProgress<BatchProgress>
    {
        private readonly ProgressTask _batch = context.AddTask("batch", autoStart: true, maxValue: 1);
        private readonly List<ProgressTask> _servers = [];

        public void Report(BatchProgress value)
        {
            _batch.Tag = value;
            if (value.Servers.Count > 1)
            {
                for (var i = _servers.Count; i < value.Servers.Count; i++)
                {
                    _servers.Add(context.AddTask("server", autoStart: true, maxValue: 1));
                }

                for (var i = 0; i < value.Servers.Count; i++)
                {
                    _servers[i].Tag = value.Servers[i];
                }
            }

            context.Refresh();
        }
    }

    /// <summary>The only column: each row's whole line, fitted to the width it is drawn at.</summary>
    private sealed class LineColumn(bool unicode) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            // One column short of the edge: a terminal that wraps at the last column would otherwise scroll.
            var width = Math.Max(1, options.ConsoleSize.Width - 1);
            return task.Tag switch
            {
                BatchProgress batch => new Markup(ProgressLine.Batch(batch, width, unicode)),
                ServerProgress server => new Markup(ProgressLine.Server(server, width, unicode)),
                _ => new Markup(ProgressLine.Batch(new BatchProgress(), width, unicode)),
            };
        }
    }
}
