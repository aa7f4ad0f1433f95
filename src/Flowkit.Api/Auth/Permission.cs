namespace Flowkit.Api.Auth;

/// <summary>
/// What an endpoint needs of the caller's key. Each endpoint under /api declares one (<c>RequirePermission</c> on its route);
/// a role is a set of them (<see cref="ApiKeyRoles"/>). The table is in docs/security.md.
/// </summary>
public enum Permission
{
    /// <summary>Read workflows, versions, runs, timelines, subscriptions and their deliveries, secret names; validate a definition; see one's own key.</summary>
    Read,

    /// <summary>Decide approval steps.</summary>
    Approve,

    /// <summary>Start, cancel, pause, resume and rerun runs; redrive a subscription's delivery.</summary>
    Run,

    /// <summary>The operations endpoints (queues, dead letters and their redrive; workspace <c>default</c> only).</summary>
    Operate,

    /// <summary>Create, update and archive workflows (and so their triggers); set and delete secrets; put and delete subscriptions and connectors.</summary>
    Edit,

    /// <summary>Create, list, rotate and revoke API keys; read the audit log.</summary>
    Govern,
}
