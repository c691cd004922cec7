// Issue 16 in Kotlin: a phone whose data folder is encrypted with a 32-byte key
// (as an app would unwrap it from the Android Keystore). Called by Main.kt.

import java.io.File
import java.security.SecureRandom
import uniffi.alongside.AlongsideException
import uniffi.alongside.Client

/// Whether any file under `folder` holds `text` (as UTF-8).
fun folderHolds(folder: File, text: String): Boolean {
    val needle = text.toByteArray(Charsets.UTF_8)
    return folder.walkTopDown().filter { it.isFile }.any { file ->
        val bytes = file.readBytes()
        (0..bytes.size - needle.size).any { at -> needle.indices.all { bytes[at + it] == needle[it] } }
    }
}

fun encryptedPhone(url: String, mentorship: String, dir: String) {
    val folder = File("$dir/keyed-mentor")
    val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
    val note = "Kotlin keyed note: Mrs Adeyemi's hoist, room 9"

    val phone = Client(folder.path, url, key)
    phone.login("mentor@bindings.example", PASSWORD, "Kotlin keyed phone")
    val sid = phone.createSession(mentorship, "check_in", "2026-12-09")
    phone.editNotes(sid, 0u, 0u, note)
    phone.sync()
    check(!folderHolds(folder, note), "the note is readable in the keyed folder")
    check(!folderHolds(folder, "mentor@bindings.example"), "the email is readable in the keyed folder")
    phone.destroy()

    try {
        Client(folder.path, url, ByteArray(32))
        check(false, "a wrong key must be refused")
    } catch (expected: AlongsideException.Storage) {
        // A clear Storage error; the folder is left as it was.
    }
    try {
        Client("$dir/short-key", url, ByteArray(16))
        check(false, "a 16-byte key must be refused")
    } catch (expected: AlongsideException.Invalid) {
    }
    val again = Client(folder.path, url, key)
    check(again.session(sid).notes == note, "the keyed folder reopens with its key")
}
