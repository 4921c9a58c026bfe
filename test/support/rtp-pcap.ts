// A pcap file of an RTP stream (Ethernet / IPv4 / UDP / RTP, 20 ms apart), made at test time
// from samples, for SIPp's play_pcap_audio: the repository holds no captures.
import { encodeG711 } from '../../telephony/g711.js';
import { encodeRtp } from '../../telephony/rtp.js';

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function rtpPcap(samples: Int16Array, opts: { srcPort: number; dstPort: number }): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const records: Buffer[] = [global];
  for (let i = 0; i * 160 < samples.length; i++) {
    const rtp = encodeRtp({ payloadType: 0, marker: i === 0, sequence: i, timestamp: i * 160, ssrc: 0x1234, payload: encodeG711(samples.subarray(i * 160, i * 160 + 160), 'pcmu') });
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(opts.srcPort, 0);
    udp.writeUInt16BE(opts.dstPort, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip.writeUInt16BE(i & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    const ether = Buffer.alloc(14);
    ether.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([ether, ip, udp, rtp]);
    const record = Buffer.alloc(16);
    const micros = i * 20_000;
    record.writeUInt32LE(Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    records.push(record, frame);
  }
  return Buffer.concat(records);
}
