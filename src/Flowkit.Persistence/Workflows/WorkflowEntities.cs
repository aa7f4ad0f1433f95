namespace Flowkit.Persistence.Workflows;

/// <summary>A tenant boundary: every row of every table carries its workspace.</summary>
public sealed class WorkspaceRow
{
    public string Id { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A named workflow; its definitions live in immutable <see cref="WorkflowVersionRow"/>s.</summary>
public sealed class WorkflowRow
{
    public Guid Id { get; set; }

    public string Workspace { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public int LatestVersion { get; set; }

    /// <summary>Set when archived: no new runs or triggers, history kept.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One immutable version of a workflow's definition.</summary>
public sealed class WorkflowVersionRow
{
    public Guid WorkflowId { get; set; }

    public int Version { get; set; }

    public string Workspace { get; set; } = "";

    /// <summary>The canonical JSON of the definition: what runs compile from and what identical updates compare.</summary>
    public string Definition { get; set; } = "";

    /// <summary>The document as the user sent it (YAML or JSON).</summary>
    public string Source { get; set; } = "";

    public string SourceFormat { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The API key (its name) that stored this version; null for versions stored before keys existed.</summary>
    public string? CreatedBy { get; set; }
}
