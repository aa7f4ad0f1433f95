using Flowkit.Testing;
using Microsoft.Playwright;

namespace Flowkit.Console.Tests;

/// <summary>
/// One real Flowkit host process serving the console on a loopback port (API role), beside the fixture's in-memory
/// engine and worker on the same database and broker, and one headless Chromium (Debian's <c>chromium</c>, never a
/// downloaded browser) for the whole collection.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private ListeningHost? _host;
    private IPlaywright? _playwright;

    public FlowkitFixture Flowkit { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>An API client on the console's host with the bootstrap key.</summary>
    public HttpClient Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Flowkit.InitializeAsync();
        _host = await ListeningHost.StartAsync(Flowkit);
        BaseAddress = _host.Address;
        Api = new HttpClient { BaseAddress = BaseAddress };
        Api.DefaultRequestHeaders.Authorization = new("Bearer", FlowkitFixture.BootstrapKey);

        Assertions.SetDefaultExpectTimeout((float)Eventually.Stretch(TimeSpan.FromSeconds(5)).TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            // Tests run as root in CI, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A new page in its own browser context (its own sessionStorage: signed out), phone-sized when asked.</summary>
    public async Task<IPage> NewPageAsync(bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1366, Height = 900 },
        });
        // Stretched like every wait in the tests (Eventually.Patience): a loaded CI machine renders slowly.
        context.SetDefaultTimeout((float)Eventually.Stretch(TimeSpan.FromSeconds(30)).TotalMilliseconds);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a screenshot for docs/console.md when FLOWKIT_CONSOLE_SCREENSHOTS names a folder.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("FLOWKIT_CONSOLE_SCREENSHOTS");
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        _host?.Dispose();
        await Flowkit.DisposeAsync();
    }

    private static string ChromiumPath()
    {
        string[] candidates = [Environment.GetEnvironmentVariable("FLOWKIT_CHROMIUM") ?? "", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
        return candidates.FirstOrDefault(p => p.Length > 0 && File.Exists(p))
            ?? throw new InvalidOperationException("Chromium is missing: install Debian's 'chromium' package (make test does), or set FLOWKIT_CHROMIUM to its path.");
    }
}
