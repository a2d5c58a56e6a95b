using OpenQA.Selenium;
using SeleniumKeys = OpenQA.Selenium.Keys;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace LocalBatch.Server.Tests.Support;

/// <summary>
/// Debian's Chromium, headless, driven through its own chromedriver (both installed by <c>.ci/run</c> with apt): no
/// browser or driver is downloaded at run time. Without them a test fails saying what to install, never passes silently.
/// Downloads go to <see cref="DownloadDirectory"/>.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private HeadlessChromium(ChromeDriver driver, string downloads)
    {
        Driver = driver;
        DownloadDirectory = downloads;
    }

    public ChromeDriver Driver { get; }

    public string DownloadDirectory { get; }

    /// <exception cref="InvalidOperationException">Chromium or chromedriver is not installed.</exception>
    public static HeadlessChromium Start(int width = 1280, int height = 800)
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException(
                $"The dashboard's browser tests need Debian's Chromium and its driver at {BrowserPath} and {DriverPath}: "
                + "run 'apt-get install -y chromium chromium-driver' (as .ci/run does).");
        }

        Environment.SetEnvironmentVariable("SE_OFFLINE", "true"); // never let Selenium Manager fetch anything
        var downloads = Directory.CreateTempSubdirectory("localbatch-downloads-").FullName;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--window-size={width},{height}");
        options.AddUserProfilePreference("download.default_directory", downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath), Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new HeadlessChromium(new ChromeDriver(service, options, s_wait), downloads);
    }

    /// <summary>Waits until <paramref name="condition"/> holds of the page (polling the DOM, never a fixed sleep).</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(Driver, s_wait) { Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException), typeof(NoAlertPresentException));
        return wait.Until(condition);
    }

    /// <summary>The text of the element <paramref name="css"/> selects, once it exists.</summary>
    public string TextOf(string css) => Until(driver => driver.FindElement(By.CssSelector(css)).Text, $"no element {css}");

    /// <summary>Logs in on the dashboard's login page with <paramref name="key"/>.</summary>
    public void LogIn(Uri server, string key)
    {
        Driver.Navigate().GoToUrl(new Uri(server, "ui/"));
        Until(driver => driver.FindElement(By.Id("key")), "no login form");
        Driver.FindElement(By.Id("key")).SendKeys(key + SeleniumKeys.Enter);
    }

    public void SaveScreenshot(string path) => Driver.GetScreenshot().SaveAsFile(path);

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(DownloadDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A download still being written: the temporary folder stays.
        }
    }
}
