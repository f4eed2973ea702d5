namespace BpoStudio.Core.Accounts;

/// <summary>
/// One signed-in browser. The cookie carries only <see cref="Id"/>; the ticket lives here, so signing out, locking a
/// user or "sign out everywhere" deletes the row and the cookie stops working on every instance at once.
/// </summary>
public class UserSession
{
    public required string Id { get; set; }
    public required string UserId { get; set; }
    public required byte[] Ticket { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
}
