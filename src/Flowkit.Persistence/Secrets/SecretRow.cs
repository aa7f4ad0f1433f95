namespace Flowkit.Persistence.Secrets;

/// <summary>
/// One secret of a workspace, stored sealed (<c>Flowkit.Definitions.Secrets.SecretBox</c>: AES-GCM, bound to the
/// workspace and name). The database never holds a secret's value.
/// </summary>
public sealed class SecretRow
{
    public string Workspace { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>base64(nonce | ciphertext | tag), as sent to workers in <c>ExecuteStep.SealedSecrets</c>.</summary>
    public string SealedValue { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
