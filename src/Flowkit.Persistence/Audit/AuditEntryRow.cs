using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Audit;

/// <summary>
/// One entry of a workspace's audit log (issue #16): who changed what, when. Rows are only ever inserted, in the same
/// transaction as the change they record; the database refuses UPDATE, DELETE and TRUNCATE of <c>audit_log</c>
/// (migration <c>20261203001701_Governance</c>).
/// </summary>
public sealed class AuditEntryRow
{
    /// <summary>A version-7 id: ordered by time, the tie-breaker of the newest-first order.</summary>
    public Guid Id { get; set; }

    public string Workspace { get; set; } = "";

    public DateTimeOffset At { get; set; }

    /// <summary>The API key that acted; null for the configured bootstrap key, which is no stored key.</summary>
    public Guid? ActorKeyId { get; set; }

    /// <summary>The key's name when it acted (<c>bootstrap</c> for the configured key).</summary>
    public string ActorName { get; set; } = "";

    /// <summary>What was done, as <c>resource.verb</c>: <c>workflow.update</c>, <c>run.cancel</c>, ...</summary>
    public string Action { get; set; } = "";

    /// <summary>What it was done to, as <c>kind/name</c>: <c>workflow/invoices</c>, <c>run/{id}</c>, <c>secret/slack_url</c>.</summary>
    public string Target { get; set; } = "";

    /// <summary>The target before the change, as JSON (null when it did not exist or the change has no before).</summary>
    public string? Before { get; set; }

    /// <summary>The target after the change, as JSON (null when it no longer exists).</summary>
    public string? After { get; set; }
}

internal sealed class AuditEntryRowConfiguration : IEntityTypeConfiguration<AuditEntryRow>
{
    public void Configure(EntityTypeBuilder<AuditEntryRow> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).HasColumnName("id");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.At).HasColumnName("at");
        builder.Property(x => x.ActorKeyId).HasColumnName("actor_key_id");
        builder.Property(x => x.ActorName).HasColumnName("actor_name");
        builder.Property(x => x.Action).HasColumnName("action");
        builder.Property(x => x.Target).HasColumnName("target");
        builder.Property(x => x.Before).HasColumnName("before").HasColumnType("jsonb");
        builder.Property(x => x.After).HasColumnName("after").HasColumnType("jsonb");
    }
}
