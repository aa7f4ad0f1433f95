using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Hub;

/// <summary>
/// One event to one destination of one subscription: its status, attempts and last error (the delivery log). The
/// destination is copied in when the event arrives, so a later change to the subscription does not change where a
/// pending delivery goes. <see cref="Token"/> names the one <c>DeliverEvent</c> message that may act on it next.
/// </summary>
public sealed class DeliveryRow
{
    public Guid Id { get; set; }

    public Guid SubscriptionId { get; set; }

    public string Workspace { get; set; } = "";

    /// <summary>The destination's place in the subscription's list (from 0).</summary>
    public int DestinationIndex { get; set; }

    /// <summary>slack, webhook, email or workflow.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The destination as it was when the event arrived (JSON).</summary>
    public string Destination { get; set; } = "{}";

    /// <summary>The event's stable id: sent as <c>Idempotency-Key</c>.</summary>
    public Guid EventId { get; set; }

    public string EventType { get; set; } = "";

    public Guid RunId { get; set; }

    /// <summary>The event as delivered (JSON).</summary>
    public string Event { get; set; } = "{}";

    /// <summary>See <see cref="DeliveryStatuses"/>.</summary>
    public string Status { get; set; } = DeliveryStatuses.Pending;

    public int Attempts { get; set; }

    public Guid? Token { get; set; }

    /// <summary>When the next attempt is due (pending only).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>What the last successful attempt gave: the HTTP status, the run started, the recipients.</summary>
    public string? Result { get; set; }

    /// <summary>How many times an operator redrove it from the dead letters.</summary>
    public int Redrives { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }
}

internal sealed class DeliveryRowConfiguration : IEntityTypeConfiguration<DeliveryRow>
{
    public void Configure(EntityTypeBuilder<DeliveryRow> builder)
    {
        builder.ToTable("hub_deliveries");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).HasColumnName("id");
        builder.Property(x => x.SubscriptionId).HasColumnName("subscription_id");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.DestinationIndex).HasColumnName("destination_index");
        builder.Property(x => x.Kind).HasColumnName("kind");
        builder.Property(x => x.Destination).HasColumnName("destination").HasColumnType("jsonb");
        builder.Property(x => x.EventId).HasColumnName("event_id");
        builder.Property(x => x.EventType).HasColumnName("event_type");
        builder.Property(x => x.RunId).HasColumnName("run_id");
        builder.Property(x => x.Event).HasColumnName("event").HasColumnType("jsonb");
        builder.Property(x => x.Status).HasColumnName("status");
        builder.Property(x => x.Attempts).HasColumnName("attempts");
        builder.Property(x => x.Token).HasColumnName("token");
        builder.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
        builder.Property(x => x.LastError).HasColumnName("last_error");
        builder.Property(x => x.Result).HasColumnName("result");
        builder.Property(x => x.Redrives).HasColumnName("redrives");
        builder.Property(x => x.CreatedAt).HasColumnName("created_at");
        builder.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        builder.Property(x => x.DeliveredAt).HasColumnName("delivered_at");
        builder.HasIndex(x => new { x.SubscriptionId, x.DestinationIndex, x.EventId }).IsUnique();
        builder.HasOne<SubscriptionRow>().WithMany().HasForeignKey(x => x.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }
}
