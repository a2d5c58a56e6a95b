using System.Diagnostics;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using SeleniumKeys = OpenQA.Selenium.Keys;
using OpenQA.Selenium.Interactions;
using Xunit.Abstractions;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's headless Chromium): logging in, a running batch advancing on both pages
/// without a reload, cancelling it and downloading its output, and what another key's server holds never showing. The
/// simulated gateway pauses at a chosen request, so the batch is still running, at a known count, whenever it is looked at.
/// </summary>
[Collection(nameof(DashboardBrowserCollection))]
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Key = "dashboard-key-5c1a";
    private const int Lines = 20;

    /// <summary>Set to a folder (the repository's docs) to keep the two pages' screenshots there.</summary>
    private const string ScreenshotVariable = "LOCALBATCH_DASHBOARD_SCREENSHOTS";

    [Fact]
    public async Task Browser_RunningBatch_AdvancesWithoutReload_ThenCancelsAndDownloadsItsOutput()
    {
        var started = Stopwatch.StartNew();
        await using var env = await ServeAsync(o => o.ApiKey = Key, concurrency: 1, clientKey: Key);
        env.Env.PauseAtChatRequest(3); // req-1 answered, req-2 refused (FAIL), req-3 held: 1 completed, 1 failed
        var file = await env.UploadAsync(ChatLines(Lines, i => i == 2 ? "FAIL this one" : $"prompt {i}"), "questions.jsonl");
        var (_, created) = await env.CreateBatchAsync(file.Id);
        var id = created.GetProperty("id").GetString()!;
        await env.Env.WaitForPauseAsync();
        using var browser = HeadlessChromium.Start();
        var driver = browser.Driver;

        browser.LogIn(env.Server.BaseAddress, Key);

        var row = $"tr[data-id='{id}']";
        browser.Until(d => d.FindElement(By.CssSelector($"{row} .counts")).Text == $"1 / 1 / {Lines}", "the list never showed 1 completed, 1 failed");
        Assert.Equal("in progress", browser.TextOf($"{row} .status"));
        Assert.Contains("questions.jsonl", browser.TextOf(row), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, driver.Url, StringComparison.Ordinal);
        driver.ExecuteScript("window.notReloaded = true;");

        // Three more answered (req-3, held till now, req-4 and req-5), paused again at req-6: the page follows by itself.
        await AdvanceAsync(env, 3);
        browser.Until(d => d.FindElement(By.CssSelector($"{row} .counts")).Text == $"4 / 1 / {Lines}", "the list did not advance to 4 completed");
        Assert.Equal(true, driver.ExecuteScript("return window.notReloaded === true;"));
        Screenshot(browser, "dashboard-batches.png");

        // Open it from the keyboard: tab to its link, Enter.
        var link = driver.FindElement(By.CssSelector($"{row} a"));
        for (var tabs = 0; tabs < 20 && !link.Equals(driver.SwitchTo().ActiveElement()); tabs++)
        {
            new Actions(driver).SendKeys(SeleniumKeys.Tab).Perform();
        }

        Assert.Equal(link, driver.SwitchTo().ActiveElement());
        link.SendKeys(SeleniumKeys.Enter);
        browser.Until(d => d.FindElement(By.Id("title")).Text == id, "the batch's page did not open");
        browser.Until(d => d.FindElement(By.Id("completed")).Text == "4", "the batch's page did not show 4 completed");
        Assert.Equal("req-2", browser.TextOf("#errors td.custom-id"));
        Assert.Contains("400", browser.TextOf("#errors tbody tr"), StringComparison.Ordinal);
        driver.ExecuteScript("window.notReloaded = true;");

        await AdvanceAsync(env, 2);
        browser.Until(d => d.FindElement(By.Id("completed")).Text == "6", "the batch's page did not advance to 6 completed");
        browser.Until(d => d.FindElements(By.CssSelector("#chart polyline")).Count == 1, "no chart");
        Assert.Equal(true, driver.ExecuteScript("return window.notReloaded === true;"));
        Screenshot(browser, "dashboard-batch.png");

        driver.FindElement(By.Id("cancel")).Click();
        browser.Until(d => d.SwitchTo().Alert(), "no confirmation asked").Accept();
        browser.Until(d => d.FindElement(By.Id("status")).Text is "cancelling" or "cancelled", "the cancel was not shown");
        env.Gateway.Resume();
        browser.Until(d => d.FindElement(By.Id("status")).Text == "cancelled", "the batch never showed cancelled");
        Assert.False(driver.FindElement(By.Id("cancel")).Displayed);

        var download = browser.Until(d => d.FindElement(By.Id("download-output")), "no output download");
        browser.Until(_ => download.Displayed, "the output download was not offered");
        download.Click();
        var saved = Path.Combine(browser.DownloadDirectory, $"{id}_output.jsonl");
        browser.Until(_ => File.Exists(saved), $"{saved} was not downloaded");
        var job = await env.Batches.RetrieveAsync(id);
        Assert.Equal(job.RequestCounts.Completed, CustomIds(await File.ReadAllTextAsync(saved)).Count);
        Assert.Contains("req-1", CustomIds(await File.ReadAllTextAsync(saved)));
        output.WriteLine($"browser flow: {started.Elapsed.TotalSeconds:F1}s");
    }

    /// <summary>
    /// Two servers, each with its own key and a batch: logged in to one, the other's batch never shows, even by its
    /// address; the other's key does not log in. (One server holding both keys' batches needs the named keys of issue 22.)
    /// </summary>
    [Fact]
    public async Task Browser_AnotherKeysBatch_NeverAppears_AndARemovedKeysSessionEnds()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(o => o.KeysFile = keys.Path, clientKey: keys.Ops);
        var batches = env.Server.Services.GetRequiredService<BatchJobManager>();
        var anas = await TeamKeys.StartBatchAsync(keys.Client(env, keys.Ana), ChatLines(2));
        var bobs = await TeamKeys.StartBatchAsync(keys.Client(env, keys.Bob), ChatLines(2));
        await batches.WaitAsync(anas);
        await batches.WaitAsync(bobs);
        using var browser = HeadlessChromium.Start();

        browser.LogIn(env.Server.BaseAddress, "not-a-key-of-the-team");
        Assert.Equal("That key is not valid here.", browser.TextOf("#error"));

        browser.LogIn(env.Server.BaseAddress, keys.Bob);
        browser.Until(d => d.FindElements(By.CssSelector($"tr[data-id='{bobs}']")).Count == 1, "bob's batch is not listed");
        Assert.Empty(browser.Driver.FindElements(By.CssSelector($"tr[data-id='{anas}']")));
        Assert.Single(browser.Driver.FindElements(By.CssSelector("#batches tbody tr")));

        browser.Driver.Navigate().GoToUrl(new Uri(env.Server.BaseAddress, $"ui/batches/{anas}"));
        browser.Until(d => d.FindElement(By.Id("error")).Text.Contains("No batch found", StringComparison.Ordinal), "ana's batch was not refused");
        Assert.Equal("Batch", browser.TextOf("#title"));

        // Bob's key leaves the file: his session ends with it, at his next page.
        keys.Edit(list => list.Remove(list.Single(key => (string?)key!["name"] == "bob")));
        Assert.Equal(401, (int)(await keys.Client(env, keys.Bob).GetAsync("/v1/batches")).StatusCode);
        browser.Driver.Navigate().GoToUrl(new Uri(env.Server.BaseAddress, "ui/"));
        browser.Until(d => d.FindElements(By.Id("key")).Count == 1, "a removed key's session went on");
    }

    /// <summary>At a phone's width every page fits without scrolling sideways; the table's rows become labelled cards.</summary>
    [Fact]
    public async Task Browser_PhoneWidth_PagesFitTheScreen()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key, clientKey: Key);
        var job = await env.RunBatchAsync(ChatLines(3));
        using var browser = HeadlessChromium.Start(width: 390, height: 844);

        browser.LogIn(env.Server.BaseAddress, Key);
        browser.Until(d => d.FindElements(By.CssSelector($"tr[data-id='{job.Id}']")).Count == 1, "the batch is not listed");
        Assert.True(FitsWidth(browser), "the list scrolls sideways at 390px");
        browser.Driver.FindElement(By.CssSelector($"tr[data-id='{job.Id}'] a")).Click();
        browser.Until(d => d.FindElement(By.Id("completed")).Text == "3", "the batch's page did not load");
        Assert.True(FitsWidth(browser), "the batch's page scrolls sideways at 390px");
    }

    private static bool FitsWidth(HeadlessChromium browser) =>
        (bool)browser.Driver.ExecuteScript("return document.documentElement.scrollWidth <= window.innerWidth;")!;

    /// <summary>Lets the held request and <paramref name="more"/> - 1 further ones be answered, pausing at the next.</summary>
    private static async Task AdvanceAsync(ServerTestEnvironment env, int more)
    {
        env.Env.PauseAtChatRequest(more);
        env.Gateway.Resume();
        await env.Env.WaitForPauseAsync();
    }

    private void Screenshot(HeadlessChromium browser, string name)
    {
        var folder = Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } docs ? docs : Path.GetTempPath();
        var path = Path.Combine(folder, name);
        browser.SaveScreenshot(path);
        output.WriteLine($"screenshot: {path}");
    }
}

/// <summary>The browser tests one at a time: each runs a Chromium, and the machine's cores are few.</summary>
[CollectionDefinition(nameof(DashboardBrowserCollection), DisableParallelization = true)]
public sealed class DashboardBrowserCollection;
