namespace Flowkit.Hub;

/// <summary>The SMTP server the hub sends e-mail destinations through (<c>Flowkit:Hub:Smtp</c>).</summary>
public sealed class SmtpOptions
{
    /// <summary>Host name; e-mail destinations fail (dead-lettered, with this key named) while it is empty.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>The sender address of every message.</summary>
    public string From { get; set; } = "flowkit@localhost";

    /// <summary>Require STARTTLS (true outside a local relay).</summary>
    public bool UseStartTls { get; set; } = true;

    /// <summary>User name, when the server asks for authentication.</summary>
    public string? UserName { get; set; }

    /// <summary>Password; set it from the environment (<c>Flowkit__Hub__Smtp__Password</c>), never in a file.</summary>
    public string? Password { get; set; }
}
