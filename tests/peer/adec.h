/*
 * adec.h: the test peer's audio decoder (libopus, 48 kHz stereo, as the
 * stock client's), and what the tests ask of the sound: its loudest tone.
 */
#ifndef CDESK_ADEC_H
#define CDESK_ADEC_H

#include "message.pb-c.h"

/*
 * Decodes one AudioFrame; after every 50th prints "TONE <hz> <level>":
 * the strongest frequency from 100 to 2000 Hz (10 Hz steps) in the last
 * 100 ms of the left channel, and its RMS level in thousandths (0: silent).
 */
void	adec_frame(const Hbb__AudioFrame *af);

#endif
