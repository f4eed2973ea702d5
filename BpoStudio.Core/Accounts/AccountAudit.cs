namespace BpoStudio.Core.Accounts;

/// <summary>The audit log's action names for accounts and API tokens: written here, searched and filtered on the Audit page.</summary>
public static class AccountAudit
{
    public const string UserCreate = "user.create";
    public const string UserRoles = "user.roles";
    public const string UserPasswordReset = "user.password-reset";
    public const string UserPasswordChange = "user.password-change";
    public const string UserSignOutEverywhere = "user.sign-out-everywhere";
    public const string UserLock = "user.lock";
    public const string UserUnlock = "user.unlock";
    public const string TokenCreate = "token.create";
    public const string TokenRevoke = "token.revoke";
    public const string ApiCall = "api.call";
}
