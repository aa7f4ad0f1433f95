using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Auth;

/// <summary>
/// An API key: it belongs to one workspace and sees only that workspace. Only the SHA-256 hash of the key is
/// stored (keys are high-entropy random strings, so a plain hash is enough); the prefix lets people tell keys apart.
/// </summary>
public sealed class ApiKeyRow
{
    public Guid Id { get; set; }

    public string Workspace { get; set; } = "";

    /// <summary>A name people chose for the key, unique among its workspace's live keys; recorded as the caller of what it does.</summary>
    public string Name { get; set; } = "";

    /// <summary>The first characters of the key, shown in lists so people can tell which key is which.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the whole key.</summary>
    public byte[] Hash { get; set; } = [];

    /// <summary>What the key may do: <c>admin</c>, <c>editor</c>, <c>operator</c>, <c>approver</c> or <c>viewer</c> (docs/security.md).</summary>
    public string Role { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when revoked: the key no longer authenticates.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>When the key's secret was last replaced (POST /api/v1/keys/{id}/rotate).</summary>
    public DateTimeOffset? RotatedAt { get; set; }

    /// <summary>SHA-256 of the secret before the last rotation, which still authenticates until <see cref="PreviousValidUntil"/>.</summary>
    public byte[]? PreviousHash { get; set; }

    /// <summary>The end of the rotation's grace period.</summary>
    public DateTimeOffset? PreviousValidUntil { get; set; }
}

internal sealed class ApiKeyRowConfiguration : IEntityTypeConfiguration<ApiKeyRow>
{
    public void Configure(EntityTypeBuilder<ApiKeyRow> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).HasColumnName("id");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.Name).HasColumnName("name");
        builder.Property(x => x.Prefix).HasColumnName("prefix");
        builder.Property(x => x.Hash).HasColumnName("hash");
        builder.Property(x => x.Role).HasColumnName("role");
        builder.Property(x => x.CreatedBy).HasColumnName("created_by");
        builder.Property(x => x.CreatedAt).HasColumnName("created_at");
        builder.Property(x => x.RevokedAt).HasColumnName("revoked_at");
        builder.Property(x => x.RotatedAt).HasColumnName("rotated_at");
        builder.Property(x => x.PreviousHash).HasColumnName("previous_hash");
        builder.Property(x => x.PreviousValidUntil).HasColumnName("previous_valid_until");
        builder.HasIndex(x => x.Hash).IsUnique();
        builder.HasIndex(x => new { x.Workspace, x.Name }).IsUnique().HasFilter("revoked_at IS NULL");
    }
}
