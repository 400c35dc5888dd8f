# Everything the audio code reader says (owned by reader-device). Keep ids in step with da/device.ftl.
ready = Ready. Press a number key for your code.
code-expired = The code has expired. Press a number key for a new code.
code-cleared = The code has been cleared from the screen.
connect-headphones = Connect headphones to hear the code
headphones-connected = Headphones connected.
headphones-disconnected = Headphones removed.
volume-up = Louder.
volume-down = Softer.
volume-level = Volume { $level }.
volume-max = Highest volume.
volume-min = Lowest volume.
rate-slow = Slow speech.
rate-normal = Normal speech.
rate-fast = Fast speech.
language-set = English speech.
grouping-threes = Digits are read in groups of three.
grouping-pairs = Digits are read in pairs.
grouping-single = Digits are read one by one.
speaker-on = The speaker is on. Others may now hear codes.
speaker-off = The speaker is off. Codes are read only through headphones.
clock-wrong = The clock is wrong — call support.
not-provisioned = This code reader is not activated. Call support.
storage-failed = The code reader cannot save. No code is shown. Call support.
settings-not-saved = The setting could not be saved and lasts only until the device is switched off.
battery-low = The battery is low: { $percent } percent.
battery-critical = The battery is empty. The code reader is switching off now.
auto-off-warning = The code reader switches off in { $seconds } seconds. Press a key to continue.
powering-off = Switching off.
function-mode = Function. Press a number key.
function-cancelled = Function cancelled.
nothing-to-repeat = There is nothing to repeat.
not-a-choice = That is not a choice.
menu = Menu. 1: language. 2: speaker. 3: serial number. 4: double-press filter. 5: screen colours. 9: switch off. 0: hear the menu again. Function key: back.
menu-closed = The menu is closed.
double-strike = A press of the same key within { $ms } milliseconds is ignored.
double-strike-off = The double-press filter is off.
invert-on = Dark text on a light background.
invert-off = Light text on a dark background.
key-help-on = Key help. Each key says what it does. Press the function key and then 5 to finish.
key-help-off = Key help finished.
key-help-key = { $key ->
        [function] The red function key with a dot. Press it and then a number key for settings, twice for the menu. Hold it down to switch off.
       *[other] Key { $key }. Shows and reads the code. After the function key: { $function ->
            [repeat] repeat the last message.
            [volume-up] louder.
            [volume-down] softer.
            [grouping] change how digits are grouped.
            [key-help] key help on and off.
            [rate] change the speaking rate.
           *[other] nothing.
        }
    }
activation-menu = Activation.
