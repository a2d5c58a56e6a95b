using LocalBatch.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Queue;

public sealed class RequestQueueBuilderExtensionsTests
{
    [Fact]
    public async Task AddRequestQueue_Resolved_IsOneConfiguredSingletonThatTheContainerDrainsOnDispose()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddRequestQueue(o =>
        {
            o.MaxWorkers = 2;
            o.Capacity = 10;
        });
        var gate = new WorkGate();
        RequestQueue queue;

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        try
        {
            queue = provider.GetRequiredService<RequestQueue>();
            Assert.Same(queue, provider.GetRequiredService<RequestQueue>());
            Assert.Equal(2, queue.Stats.Workers);
            await queue.SubmitAsync("job", ct => gate.RunAsync(7, ct));
            Assert.True(queue.TryGetResult("job", out var pending));
            Assert.Equal(time.GetUtcNow(), pending.SubmittedAt);
            await gate.WhenStarted(1);
        }
        catch
        {
            gate.Open();
            await provider.DisposeAsync();
            throw;
        }

        var disposing = provider.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        gate.Open();
        await disposing;

        Assert.Equal(7, (await queue.GetResultAsync("job")).GetValue<int>());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.SubmitAsync("late", ct => Task.FromResult(0)));
    }

    [Fact]
    public async Task AddRequestQueue_InvalidOptions_FailsStartupValidationListingEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddRequestQueue(o =>
        {
            o.Capacity = 0;
            o.MaxWorkers = -3;
        });
        await using var provider = services.BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var atResolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<RequestQueue>());

        Assert.Equal(2, atStart.Failures.Count());
        Assert.Contains("RequestQueueOptions.Capacity", atResolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRequestQueue_CalledTwice_RegistersOneQueueWithBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080"))
            .AddRequestQueue(o => o.MaxWorkers = 3)
            .AddRequestQueue(o => o.Capacity = 5);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RequestQueueOptions>>().Value;

        Assert.Single(services, d => d.ServiceType == typeof(RequestQueue));
        Assert.Equal(3, options.MaxWorkers);
        Assert.Equal(5, options.Capacity);
        Assert.Equal(3, provider.GetRequiredService<RequestQueue>().Stats.Workers);
    }

    [Fact]
    public async Task AddRequestQueue_FromConfiguration_BindsEveryOptionAndValidatesThem()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Queue:MaxWorkers"] = "6",
                ["Queue:Capacity"] = "50",
                ["Queue:DrainTimeout"] = "00:00:30",
                ["Queue:KeepResultsAfterRead"] = "true",
                ["Queue:MaxRetainedResults"] = "100",
                ["Queue:ResultRetention"] = "01:00:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddRequestQueue(configuration.GetSection("Queue"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RequestQueueOptions>>().Value;

        Assert.Equal((6, 50, TimeSpan.FromSeconds(30)), (options.MaxWorkers, options.Capacity, options.DrainTimeout));
        Assert.True(options.KeepResultsAfterRead);
        Assert.Equal((100, TimeSpan.FromHours(1)), (options.MaxRetainedResults, options.ResultRetention));
        Assert.Equal(6, provider.GetRequiredService<RequestQueue>().Stats.Workers);
    }

    [Fact]
    public async Task AddRequestQueue_FromConfigurationWithBadValues_FailsStartupValidation()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Queue:Capacity"] = "0" })
            .Build();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddRequestQueue(configuration.GetSection("Queue"));
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("RequestQueueOptions.Capacity", ex.Message, StringComparison.Ordinal);
    }
}
