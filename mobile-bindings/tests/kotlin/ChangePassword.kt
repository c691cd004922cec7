// Changing a password from Kotlin, and setting one with a reset code: refusals
// are `Invalid` with the reason, and the new password is the one that signs in
// afterwards.

import uniffi.alongside.AlongsideException
import uniffi.alongside.Client

fun changePassword(url: String, dir: String) {
    val email = "coordinator@bindings.example"
    val phone = Client("$dir/password-phone", url)
    phone.login(email, PASSWORD, "Kotlin password phone")
    try {
        phone.changePassword("not the password", "kettle lantern orchard drizzle")
        check(false, "a wrong current password must be refused")
    } catch (expected: AlongsideException.Invalid) {
    }
    try {
        phone.changePassword(PASSWORD, "password1234")
        check(false, "a guessable new password must be refused")
    } catch (expected: AlongsideException.Invalid) {
        check(expected.message.orEmpty().contains("too easy to guess"), "the reason is given: ${expected.message}")
    }
    phone.changePassword(PASSWORD, "kettle lantern orchard drizzle")
    phone.sync()
    val other = Client("$dir/password-other", url)
    try {
        other.login(email, PASSWORD, "Kotlin other phone")
        check(false, "the old password must no longer sign in")
    } catch (expected: AlongsideException.Unauthorized) {
    }
    other.login(email, "kettle lantern orchard drizzle", "Kotlin other phone")
}

/** Run last: the mentee's old password stops working. */
fun resetPassword(url: String, dir: String, code: String) {
    val email = "mentee@bindings.example"
    val phone = Client("$dir/reset-phone", url)
    try {
        phone.resetPassword(email, code, "password1234")
        check(false, "a guessable new password must be refused")
    } catch (expected: AlongsideException.Invalid) {
        check(expected.message.orEmpty().contains("too easy to guess"), "the reason is given: ${expected.message}")
    }
    phone.resetPassword(email, code, "kettle lantern orchard drizzle")
    check(phone.account() == null, "redeeming a code signs nobody in")
    try {
        phone.resetPassword(email, code, "another fine long phrase")
        check(false, "a used code must be refused")
    } catch (expected: AlongsideException.Invalid) {
    }
    try {
        phone.login(email, PASSWORD, "Kotlin reset phone")
        check(false, "the old password must no longer sign in")
    } catch (expected: AlongsideException.Unauthorized) {
    }
    phone.login(email, "kettle lantern orchard drizzle", "Kotlin reset phone")
}
